# InternImage-S UperNet, the official recipe: drop path 0.3, otherwise as
# InternImage-T's.
_base_ = [
    '../../_base_/seg/upernet_adamw-1d-no-decay_8xb2-160k_ade20k-512x512.py',
    '../../_base_/backbones/internimage-s.py',
]

model = dict(
    backbone=dict(_base_.backbone, _delete_=True),
    decode_head=dict(in_channels=_base_.widths),
    auxiliary_head=dict(in_channels=_base_.widths[2]))

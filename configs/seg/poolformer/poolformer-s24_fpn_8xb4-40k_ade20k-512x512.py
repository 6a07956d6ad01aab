_base_ = [
    '../../_base_/seg/fpn_adamw_8xb4-40k_ade20k-512x512.py',
    '../../_base_/backbones/poolformer-s24.py',
]

model = dict(
    backbone=dict(_base_.backbone, _delete_=True),
    neck=dict(in_channels=_base_.widths))

# InternImage-S UperNet, the official recipe: drop path 0.3, otherwise as
# InternImage-T's.
_base_ = './internimage-t_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(_base_.internimage_s, _delete_=True),
    decode_head=dict(in_channels=_base_.internimage_s_widths),
    auxiliary_head=dict(in_channels=_base_.internimage_s_widths[2]))

_base_ = [
    '../../_base_/seg/fpn_adamw_8xb4-80k_ade20k-512x512.py',
    '../../_base_/backbones/moganet.py',
]

model = dict(
    backbone=dict(_base_.moganet_xt, _delete_=True),
    neck=dict(in_channels=_base_.moganet_xt_widths))

_base_ = [
    '../../_base_/seg/fpn_adamw_8xb4-40k_ade20k-512x512.py',
    '../../_base_/backbones/van.py',
]

model = dict(
    backbone=dict(_base_.van_b0, _delete_=True),
    neck=dict(in_channels=_base_.van_b0_widths))

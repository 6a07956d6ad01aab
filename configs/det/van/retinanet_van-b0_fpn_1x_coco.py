_base_ = [
    '../../_base_/det/retinanet_fpn_1x_coco.py',
    '../../_base_/backbones/van.py',
]

model = dict(
    backbone=dict(_base_.van_b0, _delete_=True),
    neck=dict(in_channels=_base_.van_b0_widths))

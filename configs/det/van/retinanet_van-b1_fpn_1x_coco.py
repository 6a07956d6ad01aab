_base_ = './retinanet_van-b0_fpn_1x_coco.py'

model = dict(
    backbone=dict(_base_.van_b1, _delete_=True),
    neck=dict(in_channels=_base_.van_b1_widths))

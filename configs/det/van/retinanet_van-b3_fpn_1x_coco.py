_base_ = './retinanet_van-b0_fpn_1x_coco.py'

model = dict(
    backbone=dict(_base_.van_b3, _delete_=True, drop_path_rate=0.2),
    neck=dict(in_channels=_base_.van_b3_widths))

_base_ = './mask-rcnn_moganet-t_fpn_ms-crop-3x_coco.py'

model = dict(
    backbone=dict(_base_.moganet_b, _delete_=True),
    neck=dict(in_channels=_base_.moganet_b_widths))

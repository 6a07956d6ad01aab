_base_ = './mask-rcnn_moganet-xt_fpn_1x_coco.py'

model = dict(
    backbone=dict(_base_.moganet_t, _delete_=True),
    neck=dict(in_channels=_base_.moganet_t_widths))

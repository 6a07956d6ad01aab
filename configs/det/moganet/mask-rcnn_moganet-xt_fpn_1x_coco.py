_base_ = [
    '../../_base_/det/mask-rcnn_fpn_1x_coco.py',
    '../../_base_/backbones/moganet.py',
]

model = dict(
    backbone=dict(_base_.moganet_xt, _delete_=True),
    neck=dict(in_channels=_base_.moganet_xt_widths))

optim_wrapper = dict(optimizer=dict(lr=2e-4))

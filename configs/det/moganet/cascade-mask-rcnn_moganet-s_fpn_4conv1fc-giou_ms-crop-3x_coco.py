_base_ = [
    '../../_base_/det/cascade-mask-rcnn_fpn_ms-crop-3x-warmup-1k_coco.py',
    '../../_base_/backbones/moganet.py',
]

model = dict(
    backbone=dict(_base_.moganet_s, _delete_=True),
    neck=dict(in_channels=_base_.moganet_s_widths))

optim_wrapper = dict(optimizer=dict(lr=2e-4))

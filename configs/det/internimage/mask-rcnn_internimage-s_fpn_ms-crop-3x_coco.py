# InternImage-S Mask R-CNN 3x, the official recipe: drop path 0.3,
# otherwise as InternImage-T's.
_base_ = [
    '../../_base_/det/mask-rcnn_fpn_ms-crop-3x_coco.py',
    '../../_base_/det/schedules/paramwise_internimage.py',
    '../../_base_/backbones/internimage-s.py',
]

model = dict(
    backbone=dict(_base_.backbone, _delete_=True),
    neck=dict(in_channels=_base_.widths))

optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)

# InternImage-S Mask R-CNN 1x, the official recipe: drop path 0.3,
# otherwise as InternImage-T's.
_base_ = './mask-rcnn_internimage-t_fpn_1x_coco.py'

model = dict(
    backbone=dict(_base_.internimage_s, _delete_=True),
    neck=dict(in_channels=_base_.internimage_s_widths))

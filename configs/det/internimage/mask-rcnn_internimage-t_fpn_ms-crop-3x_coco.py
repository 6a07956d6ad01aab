# Mask R-CNN 3x with InternImage-T, the official InternImage recipe:
# multi-scale + crop training, AdamW (lr 1e-4, wd 0.05, none on 1-D
# parameters), drop path 0.2, 36 epochs, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/mask-rcnn_fpn_ms-crop-3x_coco.py',
    '../../_base_/backbones/internimage.py',
]

model = dict(
    backbone=dict(_base_.internimage_t, _delete_=True),
    neck=dict(in_channels=_base_.internimage_t_widths))

# Mask R-CNN 1x with InternImage-T, the official InternImage recipe: AdamW
# (lr 1e-4, wd 0.05, none on norms, biases and other 1-D parameters; its
# layer decay rate is 1.0, i.e. none), drop path 0.2, single-scale
# training, 12 epochs, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/mask-rcnn_fpn_1x_coco.py',
    '../../_base_/backbones/internimage.py',
]

model = dict(
    backbone=dict(_base_.internimage_t, _delete_=True),
    neck=dict(in_channels=_base_.internimage_t_widths))

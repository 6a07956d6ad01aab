# RetinaNet 1x with InternImage-T (no published result): the optimiser and
# backbone settings of InternImage's Mask R-CNN 1x, AdamW (lr 1e-4,
# wd 0.05, none on 1-D parameters), drop path 0.2, 12 epochs,
# 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/retinanet_fpn_1x_coco.py',
    '../../_base_/backbones/internimage.py',
]

model = dict(
    backbone=dict(_base_.internimage_t, _delete_=True),
    neck=dict(in_channels=_base_.internimage_t_widths))

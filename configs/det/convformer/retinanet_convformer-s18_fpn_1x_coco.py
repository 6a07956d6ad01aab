# RetinaNet 1x with ConvFormer-S18 (no published result): MogaNet-S's
# recipe for a model of this size, AdamW (lr 1e-4, wd 0.05, none on norms,
# residual scales and StarReLU scales / biases), drop path 0.1, 12 epochs,
# 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/retinanet_fpn_1x_coco.py',
    '../../_base_/backbones/convformer.py',
]

model = dict(
    backbone=dict(_base_.convformer_s18, _delete_=True),
    neck=dict(in_channels=_base_.convformer_s18_widths))

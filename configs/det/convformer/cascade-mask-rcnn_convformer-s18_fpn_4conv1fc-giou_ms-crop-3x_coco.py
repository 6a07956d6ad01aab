# Cascade Mask R-CNN 3x with ConvFormer-S18 (no published result):
# MogaNet-S's recipe, GIoU, 4conv1fc box heads with SyncBN, multi-scale +
# crop training, AdamW (lr 2e-4, wd 0.05, none on norms, residual scales
# and StarReLU scales / biases), 1000-iteration warm-up, drop path 0.1,
# 36 epochs, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/cascade-mask-rcnn_fpn_ms-crop-3x-warmup-1k_coco.py',
    '../../_base_/backbones/convformer.py',
]

model = dict(
    backbone=dict(_base_.convformer_s18, _delete_=True),
    neck=dict(in_channels=_base_.convformer_s18_widths))

optim_wrapper = dict(optimizer=dict(lr=2e-4))

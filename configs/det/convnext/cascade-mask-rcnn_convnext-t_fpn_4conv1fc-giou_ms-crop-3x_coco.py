# ConvNeXt-T Cascade Mask R-CNN 3x, the official recipe
# (facebookresearch/ConvNeXt, object_detection): 4conv1fc box heads with a
# GIoU loss, multi-scale crop training, AdamW (lr 2e-4, wd 0.05, none on
# 1-D parameters and biases), layer-wise lr decay 0.7 over 6 layers,
# stochastic depth 0.4, 16 images per batch.
_base_ = [
    '../../_base_/det/cascade-mask-rcnn_fpn_ms-crop-3x-layer-decay_coco.py',
    '../../_base_/backbones/convnext.py',
]

model = dict(
    backbone=dict(_base_.convnext_t, _delete_=True, drop_path_rate=0.4),
    neck=dict(in_channels=_base_.convnext_t_widths))

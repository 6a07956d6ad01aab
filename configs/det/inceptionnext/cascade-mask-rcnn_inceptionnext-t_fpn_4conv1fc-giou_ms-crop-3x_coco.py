# InceptionNeXt-T Cascade Mask R-CNN 3x. The InceptionNeXt paper has no
# detection results; the recipe is MogaNet-S's (4conv1fc box heads with a
# GIoU loss, multi-scale crop training, AdamW lr 2e-4, wd 0.05, no weight
# decay on norms and layer scales, 1000-iteration warm-up).
_base_ = [
    '../../_base_/det/cascade-mask-rcnn_fpn_ms-crop-3x-warmup-1k_coco.py',
    '../../_base_/backbones/inceptionnext.py',
]

model = dict(
    backbone=dict(_base_.inceptionnext_t, _delete_=True),
    neck=dict(in_channels=_base_.inceptionnext_t_widths))

optim_wrapper = dict(optimizer=dict(lr=2e-4))

# Cascade Mask R-CNN 3x with HorNet-T (7x7), the official HorNet recipe
# (ConvNeXt's): GIoU, 4conv1fc box heads with SyncBN, multi-scale + crop
# training, AdamW (lr 2e-4, wd 0.05, none on 1-D parameters) with
# layer-wise lr decay 0.7 over 12 layers, drop path 0.4, 36 epochs,
# 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/cascade-mask-rcnn_fpn_ms-crop-3x-layer-decay_coco.py',
    '../../_base_/backbones/hornet.py',
]

model = dict(
    backbone=dict(_base_.hornet_t, _delete_=True, drop_path_rate=0.4),
    neck=dict(in_channels=_base_.hornet_t_widths))

optim_wrapper = dict(paramwise_cfg=dict(num_layers=12))

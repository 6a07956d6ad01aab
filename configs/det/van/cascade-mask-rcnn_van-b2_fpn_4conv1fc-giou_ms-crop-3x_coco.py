# Cascade Mask R-CNN 3x with VAN-B2 (the VAN paper's comparison with Swin
# and ConvNeXt, whose recipe it follows): GIoU, 4conv1fc box heads with
# SyncBN, multi-scale + crop training, AdamW (lr 1e-4, wd 0.05, none on
# norms and layer scales), 36 epochs, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/cascade-mask-rcnn_fpn_ms-crop-3x_coco.py',
    '../../_base_/backbones/van.py',
]

model = dict(
    backbone=dict(_base_.van_b2, _delete_=True),
    neck=dict(in_channels=_base_.van_b2_widths))

# Cascade Mask R-CNN 3x with FocalNet-T (LRF), the official FocalNet recipe
# (Swin's): focal kernels 11, 9, 9, 7 over the stages, GIoU, 4conv1fc box
# heads with SyncBN, multi-scale + crop training, AdamW (lr 1e-4, wd 0.05,
# none on norms), drop path 0.3, 36 epochs, 8 GPUs x 2 images.
_base_ = './cascade-mask-rcnn_focalnet-t-srf_fpn_4conv1fc-giou_ms-crop-3x_coco.py'  # noqa: E501

model = dict(
    backbone=dict(
        _base_.focalnet_t_lrf, _delete_=True, focal_windows=(11, 9, 9, 7)),
    neck=dict(in_channels=_base_.focalnet_t_lrf_widths))

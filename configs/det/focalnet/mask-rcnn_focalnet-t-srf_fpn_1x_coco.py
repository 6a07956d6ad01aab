# Mask R-CNN 1x with FocalNet-T (SRF), the official FocalNet recipe (Swin's):
# focal kernels widened to 9 (9, 11 with two levels), multi-scale + crop
# training, AdamW (lr 1e-4, wd 0.05, none on norms), drop path 0.1,
# 12 epochs, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/mask-rcnn_fpn_ms-crop-1x_coco.py',
    '../../_base_/backbones/focalnet.py',
]

model = dict(
    backbone=dict(
        _base_.focalnet_t_srf_dense, _delete_=True, drop_path_rate=0.1),
    neck=dict(in_channels=_base_.focalnet_t_srf_widths))

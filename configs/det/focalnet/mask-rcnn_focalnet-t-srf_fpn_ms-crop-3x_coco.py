# FocalNet-T (SRF) Mask R-CNN with the official 3x recipe: drop path 0.3,
# 36 epochs (lr x0.1 after epochs 27 and 33), otherwise as the 1x config.
_base_ = [
    '../../_base_/det/mask-rcnn_fpn_ms-crop-3x_coco.py',
    '../../_base_/backbones/focalnet.py',
]

model = dict(
    backbone=dict(_base_.focalnet_t_srf_dense, _delete_=True),
    neck=dict(in_channels=_base_.focalnet_t_srf_widths))

# The FocalNet-T (LRF) Cascade Mask R-CNN 3x recipe with the SRF backbone
# (FocalNet publishes no result for this pair).
_base_ = [
    '../../_base_/det/cascade-mask-rcnn_fpn_ms-crop-3x_coco.py',
    '../../_base_/backbones/focalnet.py',
]

model = dict(
    backbone=dict(
        _base_.focalnet_t_srf, _delete_=True, focal_windows=(11, 9, 9, 7)),
    neck=dict(in_channels=_base_.focalnet_t_srf_widths))

# FocalNet-S (SRF) Mask R-CNN 1x, the official recipe: drop path 0.2,
# otherwise as FocalNet-T's.
_base_ = './mask-rcnn_focalnet-t-srf_fpn_1x_coco.py'

model = dict(
    backbone=dict(
        _base_.focalnet_s_srf_dense, _delete_=True, drop_path_rate=0.2),
    neck=dict(in_channels=_base_.focalnet_s_srf_widths))

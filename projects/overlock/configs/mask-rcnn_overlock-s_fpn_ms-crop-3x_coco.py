# Mask R-CNN 3x with OverLoCK-S, the official recipe: OverLoCK-T's with
# stochastic depth 0.4.
_base_ = './mask-rcnn_overlock-t_fpn_ms-crop-3x_coco.py'

model = dict(
    backbone=dict(_base_.overlock_s, _delete_=True, context_fusion=True),
    neck=dict(in_channels=_base_.overlock_s_widths))

# Mask R-CNN 1x with OverLoCK-B, the official recipe: OverLoCK-T's with
# stochastic depth 0.6.
_base_ = './mask-rcnn_overlock-t_fpn_1x_coco.py'

model = dict(
    backbone=dict(_base_.overlock_b, _delete_=True, context_fusion=True),
    neck=dict(in_channels=_base_.overlock_b_widths))

# HorNet-S (7x7) Cascade Mask R-CNN 3x, the official recipe: drop path 0.6,
# otherwise as HorNet-T's.
_base_ = './cascade-mask-rcnn_hornet-t_fpn_4conv1fc-giou_ms-crop-3x_coco.py'

model = dict(
    backbone=dict(_base_.hornet_s, _delete_=True, drop_path_rate=0.6),
    neck=dict(in_channels=_base_.hornet_s_widths))

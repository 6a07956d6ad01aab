# HorNet-S (7x7) Cascade Mask R-CNN 3x, the official recipe: drop path 0.6,
# otherwise as HorNet-T's.
_base_ = './cascade-mask-rcnn_hornet-t_fpn_4conv1fc-giou_ms-crop-3x_coco.py'

model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.6,
        init_cfg=dict(checkpoint='checkpoints/hornet_small_7x7.pth')),
    neck=dict(in_channels=[96, 192, 384, 768]))

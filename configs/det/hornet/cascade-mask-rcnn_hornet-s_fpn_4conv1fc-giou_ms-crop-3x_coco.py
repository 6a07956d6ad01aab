# HorNet-S (7x7) Cascade Mask R-CNN 3x, the official recipe: drop path 0.6,
# otherwise as HorNet-T's.
_base_ = [
    '../../_base_/det/cascade-mask-rcnn_fpn_ms-crop-3x_coco.py',
    '../../_base_/backbones/hornet-s.py',
]

model = dict(
    backbone=dict(_base_.backbone, _delete_=True, drop_path_rate=0.6),
    neck=dict(in_channels=_base_.widths))

optim_wrapper = dict(
    optimizer=dict(lr=2e-4),
    paramwise_cfg=dict(_delete_=True, num_layers=12, decay_rate=0.7),
    constructor='mmcnn.LayerDecayOptimWrapperConstructor')

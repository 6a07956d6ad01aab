_base_ = [
    '../../_base_/det/cascade-mask-rcnn_fpn_ms-crop-3x-warmup-1k_coco.py',
    '../../_base_/det/schedules/paramwise_moganet.py',
    '../../_base_/backbones/moganet-l.py',
]

model = dict(
    backbone=dict(_base_.backbone, _delete_=True),
    neck=dict(in_channels=_base_.widths))

# Layer-wise lr decay: 0.8 per layer over 12 backbone layers.
optim_wrapper = dict(
    optimizer=dict(lr=1e-4),
    paramwise_cfg=dict(_delete_=True, num_layers=12, decay_rate=0.8),
    constructor='mmcnn.LayerDecayOptimWrapperConstructor')

# UniRepLKNet-S Cascade Mask R-CNN 3x, the official recipe: UniRepLKNet-T's
# with stochastic depth 0.5.
_base_ = [
    '../../_base_/det/cascade-mask-rcnn_fpn_ms-crop-3x_coco.py',
    '../../_base_/backbones/unireplknet-s.py',
]

model = dict(
    backbone=dict(
        _base_.backbone,
        _delete_=True,
        drop_path_rate=0.5,
        norm_cfg=dict(type='SyncBN', requires_grad=True)),
    neck=dict(in_channels=_base_.widths))

optim_wrapper = dict(
    optimizer=dict(lr=1e-4),
    paramwise_cfg=dict(_delete_=True, num_layers=12, decay_rate=0.8),
    constructor='mmcnn.LayerDecayOptimWrapperConstructor')

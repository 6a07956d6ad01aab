# UniRepLKNet-T Cascade Mask R-CNN 3x, the official recipe
# (AILab-CVC/UniRepLKNet, detection/configs): 4conv1fc box heads with a GIoU
# loss, multi-scale crop training, AdamW (lr 1e-4, wd 0.05, none on 1-D
# parameters and biases), layer-wise lr decay 0.8 over 12 layers,
# stochastic depth 0.3, SyncBN, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/cascade-mask-rcnn_fpn_ms-crop-3x_coco.py',
    '../../_base_/backbones/unireplknet.py',
]

model = dict(
    backbone=dict(
        _base_.unireplknet_t_syncbn, _delete_=True, drop_path_rate=0.3),
    neck=dict(in_channels=_base_.unireplknet_t_widths))

optim_wrapper = dict(
    optimizer=dict(lr=1e-4),
    paramwise_cfg=dict(_delete_=True, num_layers=12, decay_rate=0.8),
    constructor='mmcnn.LayerDecayOptimWrapperConstructor')

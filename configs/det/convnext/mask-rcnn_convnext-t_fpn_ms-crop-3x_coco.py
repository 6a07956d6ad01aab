# ConvNeXt-T Mask R-CNN 3x, the official recipe (facebookresearch/ConvNeXt,
# object_detection): multi-scale crop training, AdamW (lr 1e-4, wd 0.05,
# none on 1-D parameters and biases), layer-wise lr decay 0.95 over 6
# layers, stochastic depth 0.4, 16 images per batch.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    '../../_base_/det/datasets/coco_instance_ms-crop.py',
    '../../_base_/det/schedules/adamw_3x.py',
    '../../_base_/det/default_runtime.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.ConvNeXt',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.4,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://dl.fbaipublicfiles.com/convnext/'
            'convnext_tiny_1k_224.pth')),
    neck=dict(in_channels=[96, 192, 384, 768]))

optim_wrapper = dict(
    constructor='mmcnn.LayerDecayOptimWrapperConstructor',
    optimizer=dict(lr=1e-4),
    paramwise_cfg=dict(_delete_=True, num_layers=6, decay_rate=0.95))

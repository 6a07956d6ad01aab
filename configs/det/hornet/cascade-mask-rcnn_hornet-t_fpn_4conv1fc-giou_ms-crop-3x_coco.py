# Cascade Mask R-CNN 3x with HorNet-T (7x7), the official HorNet recipe
# (ConvNeXt's): GIoU, 4conv1fc box heads with SyncBN, multi-scale + crop
# training, AdamW (lr 2e-4, wd 0.05, none on 1-D parameters) with
# layer-wise lr decay 0.7 over 12 layers, drop path 0.4, 36 epochs,
# 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/models/cascade-mask-rcnn_r50_fpn_4conv1fc-giou.py',
    '../../_base_/det/datasets/coco_instance_ms-crop.py',
    '../../_base_/det/schedules/adamw_3x.py',
    '../../_base_/det/default_runtime.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.HorNet',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.4,
        init_cfg=dict(
            type='Pretrained', checkpoint='checkpoints/hornet_tiny_7x7.pth')),
    neck=dict(in_channels=[64, 128, 256, 512]))

optim_wrapper = dict(
    constructor='mmcnn.LayerDecayOptimWrapperConstructor',
    optimizer=dict(lr=2e-4),
    paramwise_cfg=dict(_delete_=True, num_layers=12, decay_rate=0.7))

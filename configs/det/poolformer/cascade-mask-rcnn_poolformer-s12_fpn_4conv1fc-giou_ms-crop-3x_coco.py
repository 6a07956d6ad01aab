# Cascade Mask R-CNN 3x with PoolFormer-S12 (no published result): the
# MogaNet recipe for a model of this size, GIoU, 4conv1fc box heads with
# SyncBN, multi-scale + crop training, AdamW (lr 2e-4, wd 0.05, none on
# norms and layer scales), drop path 0.1, 36 epochs, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/models/cascade-mask-rcnn_r50_fpn_4conv1fc-giou.py',
    '../../_base_/det/datasets/coco_instance_ms-crop.py',
    '../../_base_/det/schedules/adamw_3x.py',
    '../../_base_/det/default_runtime.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.PoolFormer',
        arch='s12',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/sail-sg/poolformer/releases/'
            'download/v1.0/poolformer_s12.pth.tar')),
    neck=dict(in_channels=[64, 128, 320, 512]))

optim_wrapper = dict(
    optimizer=dict(lr=2e-4),
    paramwise_cfg=dict(custom_keys={'layer_scale': dict(decay_mult=0.)}))

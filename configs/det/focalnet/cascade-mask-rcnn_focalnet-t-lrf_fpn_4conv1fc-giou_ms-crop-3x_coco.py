# Cascade Mask R-CNN 3x with FocalNet-T (LRF), the official FocalNet recipe
# (Swin's): focal kernels 11, 9, 9, 7 over the stages, GIoU, 4conv1fc box
# heads with SyncBN, multi-scale + crop training, AdamW (lr 1e-4, wd 0.05,
# none on norms), drop path 0.3, 36 epochs, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/models/cascade-mask-rcnn_r50_fpn_4conv1fc-giou.py',
    '../../_base_/det/datasets/coco_instance_ms-crop.py',
    '../../_base_/det/schedules/adamw_3x.py',
    '../../_base_/det/schedules/paramwise_focalnet.py',
    '../../_base_/det/default_runtime.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.FocalNet',
        arch='tiny-lrf',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.3,
        focal_windows=(11, 9, 9, 7),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/microsoft/FocalNet/releases/'
            'download/v1.0.0/focalnet_tiny_lrf.pth')),
    neck=dict(in_channels=[96, 192, 384, 768]))

optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)

# Cascade Mask R-CNN 3x with ConvFormer-S18 (no published result):
# MogaNet-S's recipe, GIoU, 4conv1fc box heads with SyncBN, multi-scale +
# crop training, AdamW (lr 2e-4, wd 0.05, none on norms, residual scales
# and StarReLU scales / biases), 1000-iteration warm-up, drop path 0.1,
# 36 epochs, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/models/cascade-mask-rcnn_r50_fpn_4conv1fc-giou.py',
    '../../_base_/det/datasets/coco_instance_ms-crop.py',
    '../../_base_/det/schedules/adamw_3x.py',
    '../../_base_/det/schedules/paramwise_convformer.py',
    '../../_base_/det/default_runtime.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.ConvFormer',
        arch='s18',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', checkpoint='https://huggingface.co/sail/dl/'
                               'resolve/main/convformer/convformer_s18.pth')),
    neck=dict(in_channels=[64, 128, 320, 512]))

optim_wrapper = dict(
    optimizer=dict(lr=2e-4), paramwise_cfg=_base_.paramwise_cfg)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=1000),
    dict(
        type='MultiStepLR',
        begin=0,
        end=36,
        by_epoch=True,
        milestones=[27, 33],
        gamma=0.1)
]

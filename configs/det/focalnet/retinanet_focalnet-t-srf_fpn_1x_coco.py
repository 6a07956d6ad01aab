# RetinaNet 1x with FocalNet-T (SRF). FocalNet publishes no RetinaNet
# result; the backbone settings are those of its Mask R-CNN 1x (focal
# kernels from 9, drop path 0.1, no decay on norms) with mmdet's standard
# single-scale 1x schedule: AdamW (lr 1e-4, wd 0.05), 8 GPUs x 2 images.
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py',
    'mmdet::_base_/datasets/coco_detection.py',
    '../../_base_/det/schedules/adamw_1x.py',
    '../../_base_/det/schedules/paramwise_focalnet.py',
    '../../_base_/det/default_runtime.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.FocalNet',
        arch='tiny-srf',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        focal_windows=(9, 9, 9, 9),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/microsoft/FocalNet/releases/'
            'download/v1.0.0/focalnet_tiny_srf.pth')),
    neck=dict(in_channels=[96, 192, 384, 768]))

optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)

# RetinaNet 1x with PoolFormer-S12, the official PoolFormer recipe (PVT's):
# AdamW (lr 1e-4, wd 1e-4, decay on every parameter), 12 epochs, 8 GPUs x
# 2 images, single-scale training. As in the official FORK_LAST3 model the
# backbone returns (and normalises) only the last three stages.
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py',
    'mmdet::_base_/datasets/coco_detection.py',
    '../../_base_/det/schedules/adamw_1x.py',
    '../../_base_/det/default_runtime.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.PoolFormer',
        arch='s12',
        out_indices=(1, 2, 3),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/sail-sg/poolformer/releases/'
            'download/v1.0/poolformer_s12.pth.tar')),
    neck=dict(in_channels=[128, 320, 512], start_level=0))

optim_wrapper = dict(
    optimizer=dict(weight_decay=1e-4), paramwise_cfg=dict(_delete_=True))

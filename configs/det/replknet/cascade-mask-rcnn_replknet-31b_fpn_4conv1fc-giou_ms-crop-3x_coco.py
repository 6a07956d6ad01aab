# RepLKNet-31B Cascade Mask R-CNN 3x, the official recipe
# (DingXiaoH/RepLKNet-pytorch, detection/configs): 4conv1fc box heads with
# a GIoU loss, multi-scale crop training, AdamW (lr 4e-4, wd 0.05, none on
# norms), stochastic depth 0.6, SyncBN, 8 GPUs x 1 image.
_base_ = [
    '../../_base_/det/models/cascade-mask-rcnn_r50_fpn_4conv1fc-giou.py',
    '../../_base_/det/datasets/coco_instance_ms-crop.py',
    '../../_base_/det/schedules/adamw_3x.py',
    '../../_base_/det/default_runtime.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.RepLKNet',
        arch='31b',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.6,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/RepLKNet-31B_ImageNet-1K_224.pth')),
    neck=dict(in_channels=[128, 256, 512, 1024]))

train_dataloader = dict(batch_size=1)
optim_wrapper = dict(optimizer=dict(lr=4e-4))
auto_scale_lr = dict(base_batch_size=8)

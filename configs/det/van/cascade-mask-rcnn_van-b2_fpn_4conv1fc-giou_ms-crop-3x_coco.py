# Cascade Mask R-CNN 3x with VAN-B2 (the VAN paper's comparison with Swin
# and ConvNeXt, whose recipe it follows): GIoU, 4conv1fc box heads with
# SyncBN, multi-scale + crop training, AdamW (lr 1e-4, wd 0.05, none on
# norms and layer scales), 36 epochs, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/models/cascade-mask-rcnn_r50_fpn_4conv1fc-giou.py',
    '../../_base_/det/datasets/coco_instance_ms-crop.py',
    '../../_base_/det/schedules/adamw_3x.py',
    '../../_base_/det/schedules/paramwise_van.py',
    '../../_base_/det/default_runtime.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.VAN',
        arch='b2',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained', checkpoint='https://huggingface.co/'
                               'Visual-Attention-Network/VAN-Base-original/'
                               'resolve/main/van_base_828.pth.tar')),
    neck=dict(in_channels=[64, 128, 320, 512]))

optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)

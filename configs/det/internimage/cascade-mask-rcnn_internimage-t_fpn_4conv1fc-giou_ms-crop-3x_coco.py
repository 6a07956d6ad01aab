# Cascade Mask R-CNN 3x with InternImage-T (InternImage reports Cascade
# Mask R-CNN for L and XL only): the MogaNet / ConvNeXt Cascade recipe,
# GIoU, 4conv1fc box heads with SyncBN, multi-scale + crop training, with
# InternImage's optimiser (AdamW, lr 1e-4, wd 0.05, none on 1-D parameters)
# and drop path 0.2, 36 epochs, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/models/cascade-mask-rcnn_r50_fpn_4conv1fc-giou.py',
    '../../_base_/det/datasets/coco_instance_ms-crop.py',
    '../../_base_/det/schedules/adamw_3x.py',
    '../../_base_/det/schedules/paramwise_internimage.py',
    '../../_base_/det/default_runtime.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.InternImage',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://huggingface.co/OpenGVLab/InternImage/resolve/'
            'main/internimage_t_1k_224.pth')),
    neck=dict(in_channels=[64, 128, 256, 512]))

optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)

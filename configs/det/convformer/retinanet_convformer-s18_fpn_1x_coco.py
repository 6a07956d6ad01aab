# RetinaNet 1x with ConvFormer-S18 (no published result): MogaNet-S's
# recipe for a model of this size, AdamW (lr 1e-4, wd 0.05, none on norms,
# residual scales and StarReLU scales / biases), drop path 0.1, 12 epochs,
# 8 GPUs x 2 images.
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py',
    'mmdet::_base_/datasets/coco_detection.py',
    '../../_base_/det/schedules/adamw_1x.py',
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

optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)

# Mask R-CNN 1x with InternImage-T, the official InternImage recipe: AdamW
# (lr 1e-4, wd 0.05, none on norms, biases and other 1-D parameters; its
# layer decay rate is 1.0, i.e. none), drop path 0.2, single-scale
# training, 12 epochs, 8 GPUs x 2 images.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    '../../_base_/det/schedules/adamw_1x.py',
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

# Mask R-CNN 1x with VAN-B2, the VAN paper's COCO recipe: AdamW (lr 1e-4,
# wd 0.05, none on norms and layer scales), 12 epochs, 8 GPUs x 2 images,
# single-scale 1333x800 training.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    '../../_base_/det/schedules/adamw_1x.py',
    '../../_base_/det/schedules/paramwise_van.py',
    '../../_base_/det/default_runtime.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.VAN',
        arch='b2',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', checkpoint='https://huggingface.co/'
                               'Visual-Attention-Network/VAN-Base-original/'
                               'resolve/main/van_base_828.pth.tar')),
    neck=dict(in_channels=[64, 128, 320, 512]))

optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)

# UniRepLKNet-T Cascade Mask R-CNN 3x, the official recipe
# (AILab-CVC/UniRepLKNet, detection/configs): 4conv1fc box heads with a GIoU
# loss, multi-scale crop training, AdamW (lr 1e-4, wd 0.05, none on 1-D
# parameters and biases), layer-wise lr decay 0.8 over 12 layers,
# stochastic depth 0.3, SyncBN, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/models/cascade-mask-rcnn_r50_fpn_4conv1fc-giou.py',
    '../../_base_/det/datasets/coco_instance_ms-crop.py',
    '../../_base_/det/schedules/adamw_3x.py',
    '../../_base_/det/default_runtime.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.UniRepLKNet',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.3,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://huggingface.co/DingXiaoH/UniRepLKNet/resolve/main/unireplknet_t_in1k_224_acc83.21.pth')),
    neck=dict(in_channels=[80, 160, 320, 640]))

optim_wrapper = dict(
    constructor='mmcnn.LayerDecayOptimWrapperConstructor',
    optimizer=dict(lr=1e-4),
    paramwise_cfg=dict(_delete_=True, num_layers=12, decay_rate=0.8))

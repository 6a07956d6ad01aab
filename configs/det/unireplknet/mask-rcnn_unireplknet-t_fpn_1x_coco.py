# UniRepLKNet-T Mask R-CNN 1x. The UniRepLKNet paper has no Mask R-CNN
# result, so the optimiser follows the MogaNet config of the same size
# (MogaNet-S): AdamW (lr 2e-4, wd 0.05), no weight decay on norms, layer
# scales and GRN; SyncBN in the backbone as in the official
# dense-prediction models.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    '../../_base_/det/schedules/adamw_1x.py',
    '../../_base_/det/schedules/paramwise_unireplknet.py',
    '../../_base_/det/default_runtime.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.UniRepLKNet',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://huggingface.co/DingXiaoH/UniRepLKNet/resolve/main/unireplknet_t_in1k_224_acc83.21.pth')),
    neck=dict(in_channels=[80, 160, 320, 640]))

optim_wrapper = dict(
    optimizer=dict(lr=2e-4), paramwise_cfg=_base_.paramwise_cfg)

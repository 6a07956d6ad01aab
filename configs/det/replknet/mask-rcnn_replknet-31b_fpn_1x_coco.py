# RepLKNet-31B Mask R-CNN 1x. The RepLKNet paper has no Mask R-CNN result,
# so the optimiser follows the MogaNet config of the same size (MogaNet-L):
# AdamW (lr 1e-4, wd 0.05), no weight decay on norms; SyncBN in the
# backbone as in the official dense-prediction models.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    '../../_base_/det/schedules/adamw_1x.py',
    '../../_base_/det/default_runtime.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.RepLKNet',
        arch='31b',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.3,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/RepLKNet-31B_ImageNet-1K_224.pth')),
    neck=dict(in_channels=[128, 256, 512, 1024]))

optim_wrapper = dict(optimizer=dict(lr=1e-4))

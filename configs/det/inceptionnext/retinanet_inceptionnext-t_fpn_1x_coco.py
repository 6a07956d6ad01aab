# InceptionNeXt-T RetinaNet 1x. The InceptionNeXt paper has no detection
# results, so the optimiser follows the MogaNet config of the same size
# (MogaNet-S): AdamW (lr 1e-4, wd 0.05), no weight decay on norms and
# layer scales.
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py',
    'mmdet::_base_/datasets/coco_detection.py',
    '../../_base_/det/schedules/adamw_1x.py',
    '../../_base_/det/schedules/paramwise_inceptionnext.py',
    '../../_base_/det/default_runtime.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.InceptionNeXt',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/sail-sg/inceptionnext/releases/'
            'download/model/inceptionnext_tiny.pth')),
    neck=dict(in_channels=[96, 192, 384, 768]))

optim_wrapper = dict(
    optimizer=dict(lr=1e-4), paramwise_cfg=_base_.paramwise_cfg)

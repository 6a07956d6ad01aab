# ConvNeXt-T Mask R-CNN 1x. The ConvNeXt paper reports Mask R-CNN only with
# the 3x schedule (mask-rcnn_convnext-t_fpn_ms-crop-3x_coco.py); this 1x
# config follows the MogaNet config of the same size (MogaNet-S): AdamW
# (lr 2e-4, wd 0.05), no weight decay on norms and layer scales.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    '../../_base_/det/schedules/adamw_1x.py',
    '../../_base_/det/schedules/paramwise_convnext.py',
    '../../_base_/det/default_runtime.py',
]

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.ConvNeXt',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://dl.fbaipublicfiles.com/convnext/'
            'convnext_tiny_1k_224.pth')),
    neck=dict(in_channels=[96, 192, 384, 768]))

optim_wrapper = dict(
    optimizer=dict(lr=2e-4), paramwise_cfg=_base_.paramwise_cfg)

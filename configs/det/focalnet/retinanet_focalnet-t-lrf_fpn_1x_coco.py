_base_ = [
    '../../_base_/det/retinanet_fpn_1x_coco.py',
    '../../_base_/det/schedules/paramwise_focalnet.py',
    '../../_base_/backbones/focalnet-t-lrf.py',
]

model = dict(
    backbone=dict(
        _base_.backbone,
        _delete_=True,
        drop_path_rate=0.1,
        focal_windows=(9, 9, 9, 9)),
    neck=dict(in_channels=_base_.widths))

optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)

_base_ = [
    '../../_base_/det/mask-rcnn_fpn_1x_coco.py',
    '../../_base_/backbones/poolformer-s36.py',
]

model = dict(
    backbone=dict(_base_.backbone, _delete_=True),
    neck=dict(in_channels=_base_.widths))

optim_wrapper = dict(
    optimizer=dict(lr=2e-4, weight_decay=1e-4),
    paramwise_cfg=dict(_delete_=True, ))

_base_ = [
    '../../_base_/det/retinanet_fpn_1x_coco.py',
    '../../_base_/backbones/poolformer-s24.py',
]

model = dict(
    backbone=dict(_base_.backbone, _delete_=True, out_indices=(1, 2, 3)),
    neck=dict(in_channels=_base_.widths[1:], start_level=0))

optim_wrapper = dict(
    optimizer=dict(weight_decay=1e-4), paramwise_cfg=dict(_delete_=True, ))

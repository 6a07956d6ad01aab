_base_ = [
    '../../_base_/seg/fpn_adamw_8xb4-80k_ade20k-512x512.py',
    '../../_base_/backbones/focalnet-t-lrf.py',
]

model = dict(
    backbone=dict(
        _base_.backbone,
        _delete_=True,
        drop_path_rate=0.2,
        focal_windows=(9, 9, 9, 9)),
    neck=dict(in_channels=_base_.widths))

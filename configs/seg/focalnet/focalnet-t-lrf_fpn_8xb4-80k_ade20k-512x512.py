_base_ = './focalnet-t-srf_fpn_8xb4-80k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _base_.focalnet_t_lrf_dense, _delete_=True, drop_path_rate=0.2),
    neck=dict(in_channels=_base_.focalnet_t_lrf_widths))

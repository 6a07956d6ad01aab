_base_ = './focalnet-t-srf_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(_base_.focalnet_t_lrf_dense, _delete_=True),
    decode_head=dict(in_channels=_base_.focalnet_t_lrf_widths),
    auxiliary_head=dict(in_channels=_base_.focalnet_t_lrf_widths[2]))

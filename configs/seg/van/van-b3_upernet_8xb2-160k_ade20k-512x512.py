_base_ = [
    '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py',
    '../../_base_/backbones/van-b3.py',
]

model = dict(
    backbone=dict(_base_.backbone, _delete_=True, drop_path_rate=0.3),
    decode_head=dict(in_channels=_base_.widths),
    auxiliary_head=dict(in_channels=_base_.widths[2]))

optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys=dict(layer_scale=dict(decay_mult=0.0))))

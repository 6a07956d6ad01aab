# HorNet-S (7x7) UperNet, the official recipe: drop path 0.3 and the
# stage-wise lr decay over 12 layers, otherwise as HorNet-T's.
_base_ = './hornet-t_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(_base_.hornet_s, _delete_=True, drop_path_rate=0.3),
    decode_head=dict(in_channels=_base_.hornet_s_widths),
    auxiliary_head=dict(in_channels=_base_.hornet_s_widths[2]))

optim_wrapper = dict(paramwise_cfg=dict(num_layers=12))

# HorNet-S (7x7) UperNet, the official recipe: drop path 0.3 and the
# stage-wise lr decay over 12 layers, otherwise as HorNet-T's.
_base_ = './hornet-t_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.3,
        init_cfg=dict(checkpoint='checkpoints/hornet_small_7x7.pth')),
    decode_head=dict(in_channels=[96, 192, 384, 768]),
    auxiliary_head=dict(in_channels=384))

optim_wrapper = dict(paramwise_cfg=dict(num_layers=12))

# HorNet-S (7x7) on ImageNet-1k, the official recipe: drop path 0.4,
# gradient clipping at norm 5 (a total batch of 4096 as for HorNet-T),
# otherwise as HorNet-T's.
_base_ = './hornet-t_32xb128_in1k.py'

model = dict(
    backbone=dict(arch='small', drop_path_rate=0.4),
    head=dict(in_channels=768))

optim_wrapper = dict(clip_grad=dict(max_norm=5.0))

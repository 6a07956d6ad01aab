# InternImage-S on ImageNet-1k, the official recipe: drop path 0.4,
# otherwise as InternImage-T's.
_base_ = './internimage-t_8xb128_in1k.py'

model = dict(
    backbone=dict(arch='small', drop_path_rate=0.4),
    head=dict(in_channels=640))

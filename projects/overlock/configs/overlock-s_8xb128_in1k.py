# OverLoCK-S on ImageNet-1k at 224x224: OverLoCK-XT's recipe with the
# official stochastic depth for S (0.4).
_base_ = './overlock-xt_8xb128_in1k.py'

model = dict(
    backbone=dict(arch='s', drop_path_rate=0.4), head=dict(in_channels=640))

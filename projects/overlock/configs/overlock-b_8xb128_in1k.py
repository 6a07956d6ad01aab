# OverLoCK-B on ImageNet-1k at 224x224: OverLoCK-XT's recipe with the
# official stochastic depth for B (0.5).
_base_ = './overlock-xt_8xb128_in1k.py'

model = dict(
    backbone=dict(arch='b', drop_path_rate=0.5), head=dict(in_channels=720))

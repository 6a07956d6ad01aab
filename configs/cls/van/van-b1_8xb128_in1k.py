_base_ = './van-b2_8xb128_in1k.py'

model = dict(backbone=dict(arch='b1'))

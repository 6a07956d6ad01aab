_base_ = './van-b2_8xb128_in1k.py'

model = dict(backbone=dict(arch='b3', drop_path_rate=0.2))

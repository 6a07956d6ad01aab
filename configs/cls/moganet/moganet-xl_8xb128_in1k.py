_base_ = './moganet-s_8xb128_in1k.py'

model = dict(
    backbone=dict(arch='xlarge', drop_path_rate=0.4),
    head=dict(in_channels=960))

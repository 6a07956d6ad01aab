_base_ = './moganet-s_8xb128_in1k.py'

model = dict(
    backbone=dict(arch='base', drop_path_rate=0.2),
    head=dict(in_channels=512))

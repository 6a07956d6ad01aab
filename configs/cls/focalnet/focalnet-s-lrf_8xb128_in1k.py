_base_ = './focalnet-t-srf_8xb128_in1k.py'

model = dict(backbone=dict(arch='small-lrf', drop_path_rate=0.3))

_base_ = './focalnet-t-srf_8xb128_in1k.py'

model = dict(backbone=dict(arch='tiny-lrf'))

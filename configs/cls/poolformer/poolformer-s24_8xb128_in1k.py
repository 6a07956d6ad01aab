_base_ = './poolformer-s12_8xb128_in1k.py'

model = dict(backbone=dict(arch='s24'))

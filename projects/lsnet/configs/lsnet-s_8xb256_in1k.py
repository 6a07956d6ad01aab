# LSNet-S: LSNet-T's recipe (lsnet-t_8xb256_in1k.py).
_base_ = './lsnet-t_8xb256_in1k.py'

model = dict(backbone=dict(arch='s'), head=dict(in_channels=448))

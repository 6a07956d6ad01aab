# LSNet-B: LSNet-T's recipe with weight decay 0.05 (the official README).
_base_ = './lsnet-t_8xb256_in1k.py'

model = dict(backbone=dict(arch='b'), head=dict(in_channels=512))
optim_wrapper = dict(optimizer=dict(weight_decay=0.05))

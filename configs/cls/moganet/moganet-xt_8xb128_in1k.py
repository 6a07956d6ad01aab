_base_ = './moganet-t_8xb128_in1k.py'

model = dict(
    backbone=dict(arch='xtiny', drop_path_rate=0.05),
    head=dict(in_channels=192))

optim_wrapper = dict(optimizer=dict(weight_decay=0.03))

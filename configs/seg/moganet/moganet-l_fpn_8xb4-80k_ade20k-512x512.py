_base_ = './moganet-xt_fpn_8xb4-80k_ade20k-512x512.py'

model = dict(
    backbone=dict(_base_.moganet_l, _delete_=True),
    neck=dict(in_channels=_base_.moganet_l_widths))

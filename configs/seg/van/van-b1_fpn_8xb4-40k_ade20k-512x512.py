_base_ = './van-b0_fpn_8xb4-40k_ade20k-512x512.py'

model = dict(
    backbone=dict(_base_.van_b1, _delete_=True),
    neck=dict(in_channels=_base_.van_b1_widths))

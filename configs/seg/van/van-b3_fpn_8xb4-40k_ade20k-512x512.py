_base_ = './van-b0_fpn_8xb4-40k_ade20k-512x512.py'

model = dict(
    backbone=dict(_base_.van_b3, _delete_=True, drop_path_rate=0.3),
    neck=dict(in_channels=_base_.van_b3_widths))

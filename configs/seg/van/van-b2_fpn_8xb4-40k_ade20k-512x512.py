# The VAN paper's Semantic FPN schedule (PVT / PoolFormer recipe): the same
# optimiser over 40k iterations.
_base_ = './van-b0_fpn_8xb4-40k_ade20k-512x512.py'

model = dict(
    backbone=dict(_base_.van_b2, _delete_=True),
    neck=dict(in_channels=_base_.van_b2_widths))

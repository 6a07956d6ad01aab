# The VAN paper's Semantic FPN schedule (PVT / PoolFormer recipe): the same
# optimiser over 40k iterations.
_base_ = [
    '../../_base_/seg/fpn_adamw_8xb4-40k_ade20k-512x512.py',
    '../../_base_/backbones/van-b2.py',
]

model = dict(
    backbone=dict(_base_.backbone, _delete_=True),
    neck=dict(in_channels=_base_.widths))

# The PoolFormer paper's Semantic FPN schedule: the same optimiser over 40k
# iterations.
_base_ = [
    '../../_base_/seg/fpn_adamw_8xb4-40k_ade20k-512x512.py',
    '../../_base_/backbones/poolformer.py',
]

model = dict(
    backbone=dict(_base_.poolformer_s12, _delete_=True),
    neck=dict(in_channels=_base_.poolformer_s12_widths))

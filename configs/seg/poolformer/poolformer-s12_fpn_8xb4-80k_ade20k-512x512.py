# Semantic FPN with PoolFormer-S12 on ADE20K: the official PoolFormer
# optimiser (PVT's: AdamW, lr 2e-4, wd 1e-4, poly 0.9, 8 GPUs x 4 images)
# over 80k iterations as the MogaNet configs; the paper's own schedule is
# the 40k variant.
_base_ = [
    '../../_base_/seg/fpn_adamw_8xb4-80k_ade20k-512x512.py',
    '../../_base_/backbones/poolformer.py',
]

model = dict(
    backbone=dict(_base_.poolformer_s12, _delete_=True),
    neck=dict(in_channels=_base_.poolformer_s12_widths))

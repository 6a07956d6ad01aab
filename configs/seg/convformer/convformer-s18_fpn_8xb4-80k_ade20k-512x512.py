# Semantic FPN with ConvFormer-S18 on ADE20K (no published result): the
# MogaNet recipe, AdamW (lr 2e-4, wd 1e-4), poly decay over 80k
# iterations, 8 GPUs x 4 images.
_base_ = [
    '../../_base_/seg/fpn_adamw_8xb4-80k_ade20k-512x512.py',
    '../../_base_/backbones/convformer.py',
]

model = dict(
    backbone=dict(_base_.convformer_s18, _delete_=True),
    neck=dict(in_channels=_base_.convformer_s18_widths))

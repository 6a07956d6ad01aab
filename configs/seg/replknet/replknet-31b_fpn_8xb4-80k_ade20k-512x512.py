# Semantic FPN with RepLKNet-31B on ADE20K. The RepLKNet paper has no
# Semantic FPN result; the recipe is the MogaNet one (AdamW lr 2e-4,
# wd 1e-4, poly decay over 80k iterations) with MogaNet-L's stochastic
# depth, and SyncBN in the backbone.
_base_ = [
    '../../_base_/seg/fpn_adamw_8xb4-80k_ade20k-512x512.py',
    '../../_base_/backbones/replknet.py',
]

model = dict(
    backbone=dict(_base_.replknet_31b_syncbn, _delete_=True),
    neck=dict(in_channels=_base_.replknet_31b_widths))

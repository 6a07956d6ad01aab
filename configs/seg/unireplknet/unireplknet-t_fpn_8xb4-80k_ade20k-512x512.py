# Semantic FPN with UniRepLKNet-T on ADE20K. The UniRepLKNet paper has no
# Semantic FPN result; the recipe is the MogaNet one (AdamW lr 2e-4,
# wd 1e-4, poly decay over 80k iterations) with MogaNet-S's stochastic
# depth, and SyncBN in the backbone.
_base_ = [
    '../../_base_/seg/fpn_adamw_8xb4-80k_ade20k-512x512.py',
    '../../_base_/backbones/unireplknet.py',
]

model = dict(
    backbone=dict(_base_.unireplknet_t_syncbn, _delete_=True),
    neck=dict(in_channels=_base_.unireplknet_t_widths))

# Semantic FPN with InceptionNeXt-T on ADE20K: the MogaNet / PoolFormer
# recipe (AdamW lr 2e-4, wd 1e-4, poly decay over 80k iterations) with the
# paper's stochastic depth for the tiny model (0.1).
_base_ = [
    '../../_base_/seg/fpn_adamw_8xb4-80k_ade20k-512x512.py',
    '../../_base_/backbones/inceptionnext.py',
]

model = dict(
    backbone=dict(_base_.inceptionnext_t, _delete_=True),
    neck=dict(in_channels=_base_.inceptionnext_t_widths))

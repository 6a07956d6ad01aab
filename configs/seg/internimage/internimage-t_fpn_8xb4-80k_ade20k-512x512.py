# Semantic FPN with InternImage-T on ADE20K (no published result): the
# MogaNet recipe, AdamW (lr 2e-4, wd 1e-4), poly decay over 80k
# iterations, 8 GPUs x 4 images.
_base_ = [
    '../../_base_/seg/fpn_adamw_8xb4-80k_ade20k-512x512.py',
    '../../_base_/backbones/internimage.py',
]

model = dict(
    backbone=dict(_base_.internimage_t, _delete_=True),
    neck=dict(in_channels=_base_.internimage_t_widths))

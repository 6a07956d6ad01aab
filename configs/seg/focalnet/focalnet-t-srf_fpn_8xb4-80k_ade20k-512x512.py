# Semantic FPN with FocalNet-T (SRF) on ADE20K (no published result): the
# MogaNet recipe, AdamW (lr 2e-4, wd 1e-4), poly decay over 80k
# iterations, 8 GPUs x 4 images; backbone as in FocalNet's UperNet.
_base_ = [
    '../../_base_/seg/fpn_adamw_8xb4-80k_ade20k-512x512.py',
    '../../_base_/backbones/focalnet.py',
]

model = dict(
    backbone=dict(
        _base_.focalnet_t_srf_dense, _delete_=True, drop_path_rate=0.2),
    neck=dict(in_channels=_base_.focalnet_t_srf_widths))

# Semantic FPN with RepLKNet-31B on ADE20K. The RepLKNet paper has no
# Semantic FPN result; the recipe is the MogaNet one (AdamW lr 2e-4,
# wd 1e-4, poly decay over 80k iterations) with MogaNet-L's stochastic
# depth, and SyncBN in the backbone.
_base_ = '../../_base_/seg/fpn_adamw_8xb4-80k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.RepLKNet',
        arch='31b',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.3,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/RepLKNet-31B_ImageNet-1K_224.pth')),
    neck=dict(in_channels=[128, 256, 512, 1024]))

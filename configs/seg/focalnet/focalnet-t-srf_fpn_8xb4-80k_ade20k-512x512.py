# Semantic FPN with FocalNet-T (SRF) on ADE20K (no published result): the
# MogaNet recipe, AdamW (lr 2e-4, wd 1e-4), poly decay over 80k
# iterations, 8 GPUs x 4 images; backbone as in FocalNet's UperNet.
_base_ = '../../_base_/seg/fpn_adamw_8xb4-80k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.FocalNet',
        arch='tiny-srf',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.2,
        focal_windows=(9, 9, 9, 9),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/microsoft/FocalNet/releases/'
            'download/v1.0.0/focalnet_tiny_srf.pth')),
    neck=dict(in_channels=[96, 192, 384, 768]))

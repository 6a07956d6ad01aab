# UperNet with FocalNet-T (SRF) on ADE20K, the official FocalNet recipe
# (Swin's): focal kernels from 9, AdamW (lr 6e-5, wd 0.01, no decay on
# norms), drop path 0.3, 1500-iteration warm-up, poly decay over 160k
# iterations, 8 GPUs x 2 images.
_base_ = '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.FocalNet',
        arch='tiny-srf',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.3,
        focal_windows=(9, 9, 9, 9),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/microsoft/FocalNet/releases/'
            'download/v1.0.0/focalnet_tiny_srf.pth')),
    decode_head=dict(in_channels=[96, 192, 384, 768]),
    auxiliary_head=dict(in_channels=384))

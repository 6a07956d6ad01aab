# UperNet with FocalNet-T (SRF) on ADE20K, the official FocalNet recipe
# (Swin's): focal kernels from 9, AdamW (lr 6e-5, wd 0.01, no decay on
# norms), drop path 0.3, 1500-iteration warm-up, poly decay over 160k
# iterations, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py',
    '../../_base_/backbones/focalnet.py',
]

model = dict(
    backbone=dict(_base_.focalnet_t_srf_dense, _delete_=True),
    decode_head=dict(in_channels=_base_.focalnet_t_srf_widths),
    auxiliary_head=dict(in_channels=_base_.focalnet_t_srf_widths[2]))

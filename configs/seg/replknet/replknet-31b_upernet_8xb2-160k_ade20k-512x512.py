# UperNet with RepLKNet-31B on ADE20K, the official optimiser
# (DingXiaoH/RepLKNet-pytorch, segmentation/configs): AdamW (lr 2e-4,
# wd 0.05, none on norms), linear warm-up from 1e-6 of the lr multiplying a
# poly (power 1.0) decay, stochastic depth 0.5, SyncBN. The authors ran 64
# GPUs x 2 images for 40k iterations (warm-up 400); this config keeps the
# 8 GPUs x 2 images, 160k-iteration layout (warm-up 1500).
_base_ = [
    '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py',
    '../../_base_/backbones/replknet.py',
]

model = dict(
    backbone=dict(
        _base_.replknet_31b_syncbn, _delete_=True, drop_path_rate=0.5),
    decode_head=dict(in_channels=_base_.replknet_31b_widths),
    auxiliary_head=dict(in_channels=_base_.replknet_31b_widths[2]))

optim_wrapper = dict(
    optimizer=dict(lr=2e-4, weight_decay=0.05),
    paramwise_cfg=dict(_delete_=True, norm_decay_mult=0.0))

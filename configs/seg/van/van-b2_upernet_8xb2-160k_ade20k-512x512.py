# UperNet with VAN-B2 on ADE20K, the VAN paper's Swin-style recipe: AdamW
# (lr 6e-5, wd 0.01, no decay on norms and layer scales), 1500-iteration
# warm-up, poly decay over 160k iterations, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py',
    '../../_base_/backbones/van.py',
]

model = dict(
    backbone=dict(_base_.van_b2, _delete_=True),
    decode_head=dict(in_channels=_base_.van_b2_widths),
    auxiliary_head=dict(in_channels=_base_.van_b2_widths[2]))

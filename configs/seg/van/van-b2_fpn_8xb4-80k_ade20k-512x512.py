# Semantic FPN with VAN-B2 on ADE20K: AdamW (lr 2e-4, wd 1e-4), poly decay
# (power 0.9) over 80k iterations, 8 GPUs x 4 images, as the MogaNet
# configs; the VAN paper's own schedule is the 40k variant.
_base_ = [
    '../../_base_/seg/fpn_adamw_8xb4-80k_ade20k-512x512.py',
    '../../_base_/backbones/van.py',
]

model = dict(
    backbone=dict(_base_.van_b2, _delete_=True),
    neck=dict(in_channels=_base_.van_b2_widths))

# UperNet with InternImage-T on ADE20K, the official InternImage recipe:
# AdamW (lr 6e-5, wd 0.05, none on norms, biases and other 1-D
# parameters), drop path 0.2, 1500-iteration warm-up, poly decay over 160k
# iterations, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/seg/upernet_adamw-1d-no-decay_8xb2-160k_ade20k-512x512.py',
    '../../_base_/backbones/internimage.py',
]

model = dict(
    backbone=dict(_base_.internimage_t, _delete_=True),
    decode_head=dict(in_channels=_base_.internimage_t_widths),
    auxiliary_head=dict(in_channels=_base_.internimage_t_widths[2]))

# UperNet with ConvFormer-S18 on ADE20K (no published result): the Swin
# recipe, AdamW (lr 6e-5, wd 0.01, no decay on norms, residual scales and
# StarReLU scales / biases), drop path 0.1, 1500-iteration warm-up, poly
# decay over 160k iterations, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py',
    '../../_base_/backbones/convformer.py',
]

model = dict(
    backbone=dict(_base_.convformer_s18, _delete_=True),
    decode_head=dict(in_channels=_base_.convformer_s18_widths),
    auxiliary_head=dict(in_channels=_base_.convformer_s18_widths[2]))

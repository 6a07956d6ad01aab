# UperNet with ConvNeXt-T on ADE20K, the official recipe
# (facebookresearch/ConvNeXt, semantic_segmentation): AdamW (lr 1e-4,
# wd 0.05, none on 1-D parameters and biases), stage-wise lr decay 0.9
# (6 layers), linear warm-up over 1500 iterations multiplying a poly
# (power 1.0) decay over 160k iterations, stochastic depth 0.4, 8 GPUs x 2
# images, sliding-window test with 512x512 crops and stride 341.
_base_ = [
    '../../_base_/seg/upernet_stage-decay_8xb2-160k_ade20k-512x512.py',
    '../../_base_/backbones/convnext.py',
]

model = dict(
    backbone=dict(_base_.convnext_t, _delete_=True, drop_path_rate=0.4),
    decode_head=dict(in_channels=_base_.convnext_t_widths),
    auxiliary_head=dict(in_channels=_base_.convnext_t_widths[2]))

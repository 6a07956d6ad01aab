# UperNet with SLaK-T on ADE20K, the official recipe (VITA-Group/SLaK,
# segmentation/configs, ConvNeXt's): AdamW (lr 1e-4, wd 0.05, none on 1-D
# parameters and biases), stage-wise lr decay 0.9 (6 layers), linear
# warm-up over 1500 iterations multiplying a poly (power 1.0) decay over
# 160k iterations, stochastic depth 0.4, 16 images per batch (the authors
# ran 4 GPUs x 4), sliding-window test with 512x512 crops and stride 341.
_base_ = [
    '../../_base_/seg/upernet_stage-decay_8xb2-160k_ade20k-512x512.py',
    '../../_base_/backbones/slak.py',
]

model = dict(
    backbone=dict(_base_.slak_t, _delete_=True, drop_path_rate=0.4),
    decode_head=dict(in_channels=_base_.slak_t_widths),
    auxiliary_head=dict(in_channels=_base_.slak_t_widths[2]))

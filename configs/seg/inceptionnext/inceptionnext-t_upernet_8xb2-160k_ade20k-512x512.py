# UperNet with InceptionNeXt-T on ADE20K: the shared Swin-style UperNet
# recipe (AdamW lr 6e-5, wd 0.01, no decay on norms, 1500-iteration
# warm-up, poly decay over 160k iterations, 8 GPUs x 2 images) with the
# paper's stochastic depth for the tiny model (0.2); layer scales are kept
# free of weight decay too.
_base_ = [
    '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py',
    '../../_base_/backbones/inceptionnext.py',
]

model = dict(
    backbone=dict(_base_.inceptionnext_t, _delete_=True, drop_path_rate=0.2),
    decode_head=dict(in_channels=_base_.inceptionnext_t_widths),
    auxiliary_head=dict(in_channels=_base_.inceptionnext_t_widths[2]))

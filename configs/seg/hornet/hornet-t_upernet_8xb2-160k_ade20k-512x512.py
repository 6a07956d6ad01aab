# UperNet with HorNet-T (7x7) on ADE20K, the official HorNet recipe
# (ConvNeXt's): AdamW (lr 1e-4, wd 0.05, none on 1-D parameters) with
# stage-wise lr decay 0.9 over 6 layers, drop path 0.4, 1500-iteration
# warm-up, poly decay over 160k iterations, 8 GPUs x 2 images; sliding
# window testing (512x512 crops, stride 341).
_base_ = [
    '../../_base_/seg/upernet_stage-decay_8xb2-160k_ade20k-512x512.py',
    '../../_base_/backbones/hornet.py',
]

model = dict(
    backbone=dict(_base_.hornet_t, _delete_=True, drop_path_rate=0.4),
    decode_head=dict(in_channels=_base_.hornet_t_widths),
    auxiliary_head=dict(in_channels=_base_.hornet_t_widths[2]))

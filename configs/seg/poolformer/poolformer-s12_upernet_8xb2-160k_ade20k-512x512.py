# UperNet with PoolFormer-S12 on ADE20K (no published result): the Swin
# recipe, AdamW (lr 6e-5, wd 0.01, no decay on norms and layer scales),
# drop path 0.1, 1500-iteration warm-up, poly decay over 160k iterations,
# 8 GPUs x 2 images.
_base_ = [
    '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py',
    '../../_base_/backbones/poolformer.py',
]

model = dict(
    backbone=dict(_base_.poolformer_s12, _delete_=True, drop_path_rate=0.1),
    decode_head=dict(in_channels=_base_.poolformer_s12_widths),
    auxiliary_head=dict(in_channels=_base_.poolformer_s12_widths[2]))

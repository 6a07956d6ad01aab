# Semantic FPN with ConvNeXt V2-T on ADE20K: ConvNeXt-T's config with the
# V2 backbone.
_base_ = [
    '../../_base_/seg/fpn_adamw_8xb4-80k_ade20k-512x512.py',
    '../../_base_/backbones/convnext-v2.py',
]

model = dict(
    backbone=dict(_base_.convnext_v2_t, _delete_=True),
    neck=dict(in_channels=_base_.convnext_v2_t_widths))

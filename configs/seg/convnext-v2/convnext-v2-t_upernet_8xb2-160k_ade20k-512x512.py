# UperNet with ConvNeXt V2-T on ADE20K: ConvNeXt-T's official recipe (the
# V2 paper gives none for its small models) with the V2 backbone.
_base_ = [
    '../../_base_/seg/upernet_stage-decay_8xb2-160k_ade20k-512x512.py',
    '../../_base_/backbones/convnext-v2.py',
]

model = dict(
    backbone=dict(_base_.convnext_v2_t, _delete_=True, drop_path_rate=0.4),
    decode_head=dict(in_channels=_base_.convnext_v2_t_widths),
    auxiliary_head=dict(in_channels=_base_.convnext_v2_t_widths[2]))

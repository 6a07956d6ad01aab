# UperNet with ConvNeXt-B on ADE20K, the official recipe: ConvNeXt-S's
# (ConvNeXt-T's with the stage-wise lr decay over 12 layers) with the
# larger backbone at stochastic depth 0.4.
_base_ = './convnext-s_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(_base_.convnext_b, _delete_=True, drop_path_rate=0.4),
    decode_head=dict(in_channels=_base_.convnext_b_widths),
    auxiliary_head=dict(in_channels=_base_.convnext_b_widths[2]))

# UperNet with ConvNeXt-B on ADE20K, the official recipe: ConvNeXt-T's with
# the stage-wise lr decay over 12 layers.
_base_ = './convnext-t_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(_base_.convnext_b, _delete_=True, drop_path_rate=0.4),
    decode_head=dict(in_channels=_base_.convnext_b_widths),
    auxiliary_head=dict(in_channels=_base_.convnext_b_widths[2]))

optim_wrapper = dict(paramwise_cfg=dict(num_layers=12))

# UperNet with InceptionNeXt-S on ADE20K: InceptionNeXt-T's config with the
# paper's stochastic depth for the small model (0.3).
_base_ = './inceptionnext-t_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(_base_.inceptionnext_s, _delete_=True),
    decode_head=dict(in_channels=_base_.inceptionnext_s_widths),
    auxiliary_head=dict(in_channels=_base_.inceptionnext_s_widths[2]))

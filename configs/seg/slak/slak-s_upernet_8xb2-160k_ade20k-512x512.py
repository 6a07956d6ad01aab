# UperNet with SLaK-S on ADE20K, the official recipe: SLaK-T's with
# stochastic depth 0.3 and the stage-wise lr decay over 12 layers.
_base_ = './slak-t_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(_base_.slak_s, _delete_=True),
    decode_head=dict(in_channels=_base_.slak_s_widths),
    auxiliary_head=dict(in_channels=_base_.slak_s_widths[2]))

optim_wrapper = dict(paramwise_cfg=dict(num_layers=12))

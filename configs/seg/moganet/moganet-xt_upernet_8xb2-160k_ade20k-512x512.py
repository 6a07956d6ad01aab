_base_ = [
    '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py',
    '../../_base_/backbones/moganet.py',
]

model = dict(
    backbone=dict(_base_.moganet_xt, _delete_=True),
    decode_head=dict(in_channels=_base_.moganet_xt_widths),
    auxiliary_head=dict(in_channels=_base_.moganet_xt_widths[2]))

optim_wrapper = dict(optimizer=dict(lr=1e-4))

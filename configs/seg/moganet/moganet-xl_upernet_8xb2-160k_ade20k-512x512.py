_base_ = './moganet-xt_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(_base_.moganet_xl, _delete_=True),
    decode_head=dict(in_channels=_base_.moganet_xl_widths),
    auxiliary_head=dict(in_channels=_base_.moganet_xl_widths[2]))

_base_ = './poolformer-s12_fpn_8xb4-40k_ade20k-512x512.py'

model = dict(
    backbone=dict(_base_.poolformer_s24, _delete_=True),
    neck=dict(in_channels=_base_.poolformer_s24_widths))

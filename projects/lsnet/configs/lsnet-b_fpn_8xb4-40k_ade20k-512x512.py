# Semantic FPN with LSNet-B on ADE20K: the LSNet-T config with the B backbone.
_base_ = './lsnet-t_fpn_8xb4-40k_ade20k-512x512.py'

model = dict(
    backbone=dict(_base_.lsnet_b, _delete_=True),
    neck=dict(in_channels=_base_.lsnet_b_widths))

# RetinaNet with LSNet-B on COCO, 1x: the LSNet-T config with the B backbone.
_base_ = './retinanet_lsnet-t_fpn_1x_coco.py'

model = dict(
    backbone=dict(_base_.lsnet_b, _delete_=True),
    neck=dict(in_channels=_base_.lsnet_b_widths))

# Mask R-CNN with LSNet-S on COCO, 1x: the LSNet-T config with the S backbone.
_base_ = './mask-rcnn_lsnet-t_fpn_1x_coco.py'

model = dict(
    backbone=dict(_base_.lsnet_s, _delete_=True),
    neck=dict(in_channels=_base_.lsnet_s_widths))

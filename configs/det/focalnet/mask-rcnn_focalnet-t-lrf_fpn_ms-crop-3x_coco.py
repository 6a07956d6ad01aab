_base_ = './mask-rcnn_focalnet-t-srf_fpn_ms-crop-3x_coco.py'

model = dict(
    backbone=dict(_base_.focalnet_t_lrf_dense, _delete_=True),
    neck=dict(in_channels=_base_.focalnet_t_lrf_widths))

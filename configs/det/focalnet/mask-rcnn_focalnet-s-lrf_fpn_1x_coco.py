_base_ = './mask-rcnn_focalnet-t-srf_fpn_1x_coco.py'

model = dict(
    backbone=dict(
        _base_.focalnet_s_lrf_dense, _delete_=True, drop_path_rate=0.2),
    neck=dict(in_channels=_base_.focalnet_s_lrf_widths))

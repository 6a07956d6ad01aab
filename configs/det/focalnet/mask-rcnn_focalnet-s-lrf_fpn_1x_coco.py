_base_ = './mask-rcnn_focalnet-t-srf_fpn_1x_coco.py'

model = dict(
    backbone=dict(
        _base_.focalnet_s_lrf,
        _delete_=True,
        drop_path_rate=0.2,
        focal_windows=(9, 9, 9, 9)),
    neck=dict(in_channels=_base_.focalnet_s_lrf_widths))

_base_ = './mask-rcnn_poolformer-s12_fpn_1x_coco.py'

model = dict(
    backbone=dict(_base_.poolformer_s24, _delete_=True),
    neck=dict(in_channels=_base_.poolformer_s24_widths))

_base_ = './retinanet_poolformer-s12_fpn_1x_coco.py'

model = dict(
    backbone=dict(_base_.poolformer_s36, _delete_=True, out_indices=(1, 2, 3)),
    neck=dict(in_channels=_base_.poolformer_s36_widths[1:], start_level=0))

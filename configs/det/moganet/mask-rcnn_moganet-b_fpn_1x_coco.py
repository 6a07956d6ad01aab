_base_ = './mask-rcnn_moganet-xt_fpn_1x_coco.py'

model = dict(
    backbone=dict(_base_.moganet_b, _delete_=True),
    neck=dict(in_channels=_base_.moganet_b_widths))

# The larger variants train with half the lr.
optim_wrapper = dict(optimizer=dict(lr=1e-4))

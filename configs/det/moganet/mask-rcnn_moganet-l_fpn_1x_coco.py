_base_ = './mask-rcnn_moganet-xt_fpn_1x_coco.py'

model = dict(
    backbone=dict(_base_.moganet_l, _delete_=True),
    neck=dict(in_channels=_base_.moganet_l_widths))

# The larger variants train with half the lr.
optim_wrapper = dict(optimizer=dict(lr=1e-4))

# SLaK-T RetinaNet 1x. The SLaK paper has no RetinaNet result, so the
# optimiser follows the MogaNet config of the same size (MogaNet-S): AdamW
# (lr 1e-4, wd 0.05), no weight decay on norms and layer scales.
_base_ = [
    '../../_base_/det/retinanet_fpn_1x_coco.py',
    '../../_base_/backbones/slak.py',
]

model = dict(
    backbone=dict(_base_.slak_t, _delete_=True),
    neck=dict(in_channels=_base_.slak_t_widths))

optim_wrapper = dict(optimizer=dict(lr=1e-4))

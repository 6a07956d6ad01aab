# ConvNeXt-T RetinaNet 1x. The ConvNeXt paper has no RetinaNet result, so
# the optimiser follows the MogaNet config of the same size (MogaNet-S):
# AdamW (lr 1e-4, wd 0.05), no weight decay on norms and layer scales.
_base_ = [
    '../../_base_/det/retinanet_fpn_1x_coco.py',
    '../../_base_/backbones/convnext.py',
]

model = dict(
    backbone=dict(_base_.convnext_t, _delete_=True, drop_path_rate=0.1),
    neck=dict(in_channels=_base_.convnext_t_widths))

optim_wrapper = dict(optimizer=dict(lr=1e-4))

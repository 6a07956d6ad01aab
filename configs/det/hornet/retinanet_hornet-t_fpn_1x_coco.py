# RetinaNet 1x with HorNet-T (7x7). HorNet publishes no RetinaNet result;
# the recipe is MogaNet's for a model of this size: AdamW (lr 1e-4,
# wd 0.05, none on norms and layer scales), 12 epochs, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/retinanet_fpn_1x_coco.py',
    '../../_base_/backbones/hornet.py',
]

model = dict(
    backbone=dict(_base_.hornet_t, _delete_=True),
    neck=dict(in_channels=_base_.hornet_t_widths))

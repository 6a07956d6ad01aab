# Mask R-CNN 1x with PoolFormer-S12, the official PoolFormer recipe
# (PVT's): AdamW (lr 2e-4, wd 1e-4, decay on every parameter:
# mmengine's default constructor, without the family's rule), 12 epochs,
# 8 GPUs x 2 images, single-scale training.
_base_ = [
    '../../_base_/det/mask-rcnn_fpn_1x_coco.py',
    '../../_base_/backbones/poolformer.py',
]

model = dict(
    backbone=dict(_base_.poolformer_s12, _delete_=True),
    neck=dict(in_channels=_base_.poolformer_s12_widths))

optim_wrapper = dict(
    constructor='DefaultOptimWrapperConstructor',
    optimizer=dict(lr=2e-4, weight_decay=1e-4),
    paramwise_cfg=dict(_delete_=True))

# RetinaNet 1x with PoolFormer-S12, the official PoolFormer recipe (PVT's):
# AdamW (lr 1e-4, wd 1e-4, decay on every parameter: mmengine's default
# constructor, without the family's rule), 12 epochs, 8 GPUs x 2 images,
# single-scale training. As in the official FORK_LAST3 model the
# backbone returns (and normalises) only the last three stages.
_base_ = [
    '../../_base_/det/retinanet_fpn_1x_coco.py',
    '../../_base_/backbones/poolformer.py',
]

model = dict(
    backbone=dict(_base_.poolformer_s12, _delete_=True, out_indices=(1, 2, 3)),
    neck=dict(in_channels=_base_.poolformer_s12_widths[1:], start_level=0))

optim_wrapper = dict(
    constructor='DefaultOptimWrapperConstructor',
    optimizer=dict(weight_decay=1e-4),
    paramwise_cfg=dict(_delete_=True))

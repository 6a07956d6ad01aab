# Cascade Mask R-CNN 3x with PoolFormer-S12 (no published result): the
# MogaNet recipe for a model of this size, GIoU, 4conv1fc box heads with
# SyncBN, multi-scale + crop training, AdamW (lr 2e-4, wd 0.05, none on
# norms and layer scales), drop path 0.1, 36 epochs, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/cascade-mask-rcnn_fpn_ms-crop-3x_coco.py',
    '../../_base_/backbones/poolformer.py',
]

model = dict(
    backbone=dict(_base_.poolformer_s12, _delete_=True, drop_path_rate=0.1),
    neck=dict(in_channels=_base_.poolformer_s12_widths))

optim_wrapper = dict(optimizer=dict(lr=2e-4))

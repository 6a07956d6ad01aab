# RetinaNet 1x with FocalNet-T (SRF). FocalNet publishes no RetinaNet
# result; the backbone settings are those of its Mask R-CNN 1x (focal
# kernels from 9, drop path 0.1, no decay on norms) with mmdet's standard
# single-scale 1x schedule: AdamW (lr 1e-4, wd 0.05), 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/retinanet_fpn_1x_coco.py',
    '../../_base_/backbones/focalnet.py',
]

model = dict(
    backbone=dict(
        _base_.focalnet_t_srf_dense, _delete_=True, drop_path_rate=0.1),
    neck=dict(in_channels=_base_.focalnet_t_srf_widths))

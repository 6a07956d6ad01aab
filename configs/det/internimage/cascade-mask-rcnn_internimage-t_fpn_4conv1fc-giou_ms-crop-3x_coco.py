# Cascade Mask R-CNN 3x with InternImage-T (InternImage reports Cascade
# Mask R-CNN for L and XL only): the MogaNet / ConvNeXt Cascade recipe,
# GIoU, 4conv1fc box heads with SyncBN, multi-scale + crop training, with
# InternImage's optimiser (AdamW, lr 1e-4, wd 0.05, none on 1-D parameters)
# and drop path 0.2, 36 epochs, 8 GPUs x 2 images.
_base_ = [
    '../../_base_/det/cascade-mask-rcnn_fpn_ms-crop-3x_coco.py',
    '../../_base_/backbones/internimage.py',
]

model = dict(
    backbone=dict(_base_.internimage_t, _delete_=True),
    neck=dict(in_channels=_base_.internimage_t_widths))

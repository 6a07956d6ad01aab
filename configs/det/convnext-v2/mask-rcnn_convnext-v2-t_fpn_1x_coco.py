# ConvNeXt V2-T Mask R-CNN 1x: ConvNeXt-T's config with the V2 backbone
# (GRN in place of layer scales, kept free of weight decay).
_base_ = [
    '../../_base_/det/mask-rcnn_fpn_1x_coco.py',
    '../../_base_/backbones/convnext-v2.py',
]

model = dict(
    backbone=dict(_base_.convnext_v2_t, _delete_=True),
    neck=dict(in_channels=_base_.convnext_v2_t_widths))

optim_wrapper = dict(optimizer=dict(lr=2e-4))

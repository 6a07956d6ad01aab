# ConvNeXt V2-T Cascade Mask R-CNN 3x: ConvNeXt-T's official recipe (the
# V2 paper gives no detection recipe for its small models) with the V2
# backbone; GRN parameters are 1-D and get no weight decay.
_base_ = [
    '../../_base_/det/cascade-mask-rcnn_fpn_ms-crop-3x-layer-decay_coco.py',
    '../../_base_/backbones/convnext-v2.py',
]

model = dict(
    backbone=dict(_base_.convnext_v2_t, _delete_=True, drop_path_rate=0.4),
    neck=dict(in_channels=_base_.convnext_v2_t_widths))

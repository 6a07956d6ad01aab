# ConvNeXt-S Cascade Mask R-CNN 3x, the official recipe: ConvNeXt-T's with
# stochastic depth 0.6 and the layer-wise lr decay spread over 12 layers.
_base_ = './cascade-mask-rcnn_convnext-t_fpn_4conv1fc-giou_ms-crop-3x_coco.py'

model = dict(
    backbone=dict(_base_.convnext_s, _delete_=True, drop_path_rate=0.6),
    neck=dict(in_channels=_base_.convnext_s_widths))

optim_wrapper = dict(paramwise_cfg=dict(num_layers=12))

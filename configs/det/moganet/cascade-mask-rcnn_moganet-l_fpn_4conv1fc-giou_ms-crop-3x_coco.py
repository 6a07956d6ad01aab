# MogaNet-L Cascade Mask R-CNN 3x: MogaNet-B's config (lr 1e-4, layer-wise
# lr decay 0.8 over 12 layers) with the larger backbone.
_base_ = './cascade-mask-rcnn_moganet-b_fpn_4conv1fc-giou_ms-crop-3x_coco.py'

model = dict(
    backbone=dict(_base_.moganet_l, _delete_=True),
    neck=dict(in_channels=_base_.moganet_l_widths))

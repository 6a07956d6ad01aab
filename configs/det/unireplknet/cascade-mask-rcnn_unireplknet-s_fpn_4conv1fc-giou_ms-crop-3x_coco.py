# UniRepLKNet-S Cascade Mask R-CNN 3x, the official recipe: UniRepLKNet-T's
# with stochastic depth 0.5.
_base_ = './cascade-mask-rcnn_unireplknet-t_fpn_4conv1fc-giou_ms-crop-3x_coco.py'  # noqa: E501

model = dict(
    backbone=dict(
        _base_.unireplknet_s_syncbn, _delete_=True, drop_path_rate=0.5),
    neck=dict(in_channels=_base_.unireplknet_s_widths))

# Mask R-CNN with an FPN on COCO instances with multi-scale crop training,
# AdamW 3x. A family config adds its backbone fragment and widths.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    './datasets/coco_instance_ms-crop.py',
    './schedules/adamw_3x.py',
    './default_runtime.py',
]

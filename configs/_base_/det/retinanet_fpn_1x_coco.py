# RetinaNet with an FPN on COCO boxes, AdamW 1x. A family config adds its
# backbone fragment and widths.
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py',
    'mmdet::_base_/datasets/coco_detection.py',
    './schedules/adamw_1x.py',
    './default_runtime.py',
]

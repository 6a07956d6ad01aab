# Mask R-CNN with an FPN on COCO instances, AdamW 1x. A family config adds
# its backbone fragment and widths.
_base_ = [
    'mmdet::_base_/models/mask-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    './schedules/adamw_1x.py',
    './default_runtime.py',
]

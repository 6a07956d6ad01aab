# Cascade Mask R-CNN (4conv1fc GIoU heads) with an FPN, multi-scale crop
# training, AdamW 3x. A family config adds its backbone fragment and widths.
_base_ = [
    './models/cascade-mask-rcnn_r50_fpn_4conv1fc-giou.py',
    './datasets/coco_instance_ms-crop.py',
    './schedules/adamw_3x.py',
    './default_runtime.py',
]

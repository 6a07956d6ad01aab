# Cascade Mask R-CNN as in cascade-mask-rcnn_fpn_ms-crop-3x_coco.py
# with the 1000-iteration warm-up. A family config adds its backbone
# fragment and widths.
_base_ = [
    './models/cascade-mask-rcnn_r50_fpn_4conv1fc-giou.py',
    './datasets/coco_instance_ms-crop.py',
    './schedules/adamw_3x_warmup-1k.py',
    './default_runtime.py',
]

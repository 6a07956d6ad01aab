# Mask R-CNN 3x with OverLoCK-T on COCO, the official recipe
# (detection/configs/maskrcnn_overlock): multi-scale + crop training,
# AdamW lr 1e-4, wd 0.05 (none on norms), stochastic depth 0.2, 36 epochs,
# the Overview-Net's context added to stage 3 (context_fusion=True).
_base_ = [
    '../../../configs/_base_/det/mask-rcnn_fpn_ms-crop-3x_coco.py',
    './_base_/overlock.py',
]
custom_imports = dict(
    imports=['mmcnn.models', 'mmcnn.engine', 'projects.overlock.overlock'],
    allow_failed_imports=False)

model = dict(
    backbone=dict(_base_.overlock_t, _delete_=True, context_fusion=True),
    neck=dict(in_channels=_base_.overlock_t_widths))

# Semantic FPN with LSNet-T on ADE20K: the official configs
# (segmentation/configs/sem_fpn/fpn_lsnet_t_ade20k_40k.py): every stage
# (strides 8-64) into a 4-level FPN (the official LSNetFPN without extra
# levels is mmseg's FPN), the FPN head as configured for ResNet; AdamW lr
# 2e-4, wd 1e-4, poly decay over 40k iterations at 8 x 4 images.
_base_ = [
    '../../../configs/_base_/seg/fpn_adamw_8xb4-40k_ade20k-512x512.py',
    './_base_/lsnet.py',
]
custom_imports = dict(
    imports=['mmcnn.models', 'mmcnn.engine', 'projects.lsnet.lsnet'],
    allow_failed_imports=False)

model = dict(
    backbone=dict(_base_.lsnet_t, _delete_=True),
    neck=dict(in_channels=_base_.lsnet_t_widths))

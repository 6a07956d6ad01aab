# UperNet with OverLoCK-T on ADE20K, the official recipe
# (LMMMEng/OverLoCK, segmentation/configs/overlock): AdamW lr 6e-5,
# wd 0.01 (none on norms), linear warm-up over 1500 iterations and a poly
# decay over 160k, stochastic depth 0.2, 8 GPUs x 2 images. The official
# segmentation backbone does not add the Overview-Net's context to stage 3
# (context_fusion=False).
_base_ = [
    '../../../configs/_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py',
    './_base_/overlock.py',
]
custom_imports = dict(
    imports=['mmcnn.models', 'mmcnn.engine', 'projects.overlock.overlock'],
    allow_failed_imports=False)

model = dict(
    backbone=dict(_base_.overlock_t, _delete_=True, context_fusion=False),
    decode_head=dict(in_channels=_base_.overlock_t_widths),
    auxiliary_head=dict(in_channels=_base_.overlock_t_widths[2]))

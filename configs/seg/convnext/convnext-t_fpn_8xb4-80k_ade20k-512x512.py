# Semantic FPN with ConvNeXt-T on ADE20K. The ConvNeXt paper has no
# Semantic FPN result; the recipe is the MogaNet one (AdamW lr 2e-4,
# wd 1e-4, poly decay over 80k iterations) with MogaNet-S's stochastic
# depth.
_base_ = '../../_base_/seg/fpn_adamw_8xb4-80k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.ConvNeXt',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://dl.fbaipublicfiles.com/convnext/'
            'convnext_tiny_1k_224.pth')),
    neck=dict(in_channels=[96, 192, 384, 768]))

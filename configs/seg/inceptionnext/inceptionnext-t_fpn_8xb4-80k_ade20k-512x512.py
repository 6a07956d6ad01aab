# Semantic FPN with InceptionNeXt-T on ADE20K: the MogaNet / PoolFormer
# recipe (AdamW lr 2e-4, wd 1e-4, poly decay over 80k iterations) with the
# paper's stochastic depth for the tiny model (0.1).
_base_ = '../../_base_/seg/fpn_adamw_8xb4-80k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.InceptionNeXt',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/sail-sg/inceptionnext/releases/'
            'download/model/inceptionnext_tiny.pth')),
    neck=dict(in_channels=[96, 192, 384, 768]))

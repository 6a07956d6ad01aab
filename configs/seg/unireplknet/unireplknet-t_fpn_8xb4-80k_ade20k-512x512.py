# Semantic FPN with UniRepLKNet-T on ADE20K. The UniRepLKNet paper has no
# Semantic FPN result; the recipe is the MogaNet one (AdamW lr 2e-4,
# wd 1e-4, poly decay over 80k iterations) with MogaNet-S's stochastic
# depth, and SyncBN in the backbone.
_base_ = '../../_base_/seg/fpn_adamw_8xb4-80k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.UniRepLKNet',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://huggingface.co/DingXiaoH/UniRepLKNet/resolve/main/unireplknet_t_in1k_224_acc83.21.pth')),
    neck=dict(in_channels=[80, 160, 320, 640]))

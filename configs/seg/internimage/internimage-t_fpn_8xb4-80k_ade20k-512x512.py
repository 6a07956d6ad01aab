# Semantic FPN with InternImage-T on ADE20K (no published result): the
# MogaNet recipe, AdamW (lr 2e-4, wd 1e-4), poly decay over 80k
# iterations, 8 GPUs x 4 images.
_base_ = '../../_base_/seg/fpn_adamw_8xb4-80k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.InternImage',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://huggingface.co/OpenGVLab/InternImage/resolve/'
            'main/internimage_t_1k_224.pth')),
    neck=dict(in_channels=[64, 128, 256, 512]))

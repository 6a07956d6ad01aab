# Semantic FPN with VAN-B2 on ADE20K: AdamW (lr 2e-4, wd 1e-4), poly decay
# (power 0.9) over 80k iterations, 8 GPUs x 4 images, as the MogaNet
# configs; the VAN paper's own schedule is the 40k variant.
_base_ = '../../_base_/seg/fpn_adamw_8xb4-80k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.VAN',
        arch='b2',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained', checkpoint='https://huggingface.co/'
                               'Visual-Attention-Network/VAN-Base-original/'
                               'resolve/main/van_base_828.pth.tar')),
    neck=dict(in_channels=[64, 128, 320, 512]))

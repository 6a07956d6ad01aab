_base_ = './van-b2_fpn_8xb4-40k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        arch='b0',
        drop_path_rate=0.1,
        init_cfg=dict(checkpoint='https://huggingface.co/'
                      'Visual-Attention-Network/VAN-Tiny-original/resolve/'
                      'main/van_tiny_754.pth.tar')),
    neck=dict(in_channels=[32, 64, 160, 256]))

# InternImage-S UperNet, the official recipe: drop path 0.3, otherwise as
# InternImage-T's.
_base_ = './internimage-t_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.3,
        init_cfg=dict(checkpoint='https://huggingface.co/OpenGVLab/'
                      'InternImage/resolve/main/internimage_s_1k_224.pth')),
    decode_head=dict(in_channels=[80, 160, 320, 640]),
    auxiliary_head=dict(in_channels=320))

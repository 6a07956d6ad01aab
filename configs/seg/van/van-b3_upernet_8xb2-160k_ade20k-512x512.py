_base_ = './van-b2_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        arch='b3',
        drop_path_rate=0.3,
        init_cfg=dict(checkpoint='https://huggingface.co/'
                      'Visual-Attention-Network/VAN-Large-original/resolve/'
                      'main/van_large_839.pth.tar')))

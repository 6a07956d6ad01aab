_base_ = './van-b2_fpn_8xb4-40k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        arch='b1',
        drop_path_rate=0.1,
        init_cfg=dict(checkpoint='https://huggingface.co/'
                      'Visual-Attention-Network/VAN-Small-original/resolve/'
                      'main/van_small_811.pth.tar')))

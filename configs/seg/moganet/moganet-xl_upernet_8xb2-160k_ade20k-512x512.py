_base_ = './moganet-s_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        arch='xlarge',
        drop_path_rate=0.4,
        init_cfg=dict(checkpoint='https://github.com/Westlake-AI/MogaNet/'
                      'releases/download/moganet-in1k-weights/'
                      'moganet_xlarge_sz224_8xbs64_ep300.pth.tar')),
    decode_head=dict(in_channels=[96, 192, 480, 960]),
    auxiliary_head=dict(in_channels=480))

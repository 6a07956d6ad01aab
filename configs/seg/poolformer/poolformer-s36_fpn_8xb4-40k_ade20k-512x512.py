_base_ = './poolformer-s12_fpn_8xb4-40k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        arch='s36',
        init_cfg=dict(checkpoint='https://github.com/sail-sg/poolformer/'
                      'releases/download/v1.0/poolformer_s36.pth.tar')))

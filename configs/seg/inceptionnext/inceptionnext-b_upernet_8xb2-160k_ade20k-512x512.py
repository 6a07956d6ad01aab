# UperNet with InceptionNeXt-B on ADE20K: InceptionNeXt-T's config with the
# paper's stochastic depth for the base model (0.4).
_base_ = './inceptionnext-t_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.4,
        init_cfg=dict(checkpoint='https://github.com/sail-sg/inceptionnext/'
                      'releases/download/model/inceptionnext_base.pth')),
    decode_head=dict(in_channels=[128, 256, 512, 1024]),
    auxiliary_head=dict(in_channels=512))

# UperNet with InceptionNeXt-S on ADE20K: InceptionNeXt-T's config with the
# paper's stochastic depth for the small model (0.3).
_base_ = './inceptionnext-t_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.3,
        init_cfg=dict(checkpoint='https://github.com/sail-sg/inceptionnext/'
                      'releases/download/model/inceptionnext_small.pth')))

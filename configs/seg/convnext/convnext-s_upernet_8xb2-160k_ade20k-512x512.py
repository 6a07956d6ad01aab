# UperNet with ConvNeXt-S on ADE20K, the official recipe: ConvNeXt-T's with
# stochastic depth 0.3 and the stage-wise lr decay over 12 layers.
_base_ = './convnext-t_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.3,
        init_cfg=dict(checkpoint='https://dl.fbaipublicfiles.com/convnext/'
                      'convnext_small_1k_224.pth')))

optim_wrapper = dict(paramwise_cfg=dict(num_layers=12))

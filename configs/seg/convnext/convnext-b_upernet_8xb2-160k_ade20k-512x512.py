# UperNet with ConvNeXt-B on ADE20K, the official recipe: ConvNeXt-T's with
# the stage-wise lr decay over 12 layers.
_base_ = './convnext-t_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        arch='base',
        init_cfg=dict(checkpoint='https://dl.fbaipublicfiles.com/convnext/'
                      'convnext_base_1k_224.pth')),
    decode_head=dict(in_channels=[128, 256, 512, 1024]),
    auxiliary_head=dict(in_channels=512))

optim_wrapper = dict(paramwise_cfg=dict(num_layers=12))

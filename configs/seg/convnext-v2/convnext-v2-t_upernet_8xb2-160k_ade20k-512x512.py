# UperNet with ConvNeXt V2-T on ADE20K: ConvNeXt-T's official recipe (the
# V2 paper gives none for its small models) with the V2 backbone.
_base_ = '../convnext/convnext-t_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        type='mmcnn.ConvNeXtV2',
        init_cfg=dict(
            checkpoint='https://dl.fbaipublicfiles.com/convnext/convnextv2/'
            'im1k/convnextv2_tiny_1k_224_ema.pt')))

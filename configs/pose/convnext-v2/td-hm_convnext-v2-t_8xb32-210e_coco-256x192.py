# Top-down heatmap pose estimation with ConvNeXt V2-T on COCO: ConvNeXt-T's
# config with the V2 backbone.
_base_ = '../convnext/td-hm_convnext-t_8xb32-210e_coco-256x192.py'

model = dict(
    backbone=dict(
        type='mmcnn.ConvNeXtV2',
        init_cfg=dict(
            checkpoint='https://dl.fbaipublicfiles.com/convnext/convnextv2/'
            'im1k/convnextv2_tiny_1k_224_ema.pt')))

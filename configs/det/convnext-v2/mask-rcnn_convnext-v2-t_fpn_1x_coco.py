# ConvNeXt V2-T Mask R-CNN 1x: ConvNeXt-T's config with the V2 backbone
# (GRN in place of layer scales, kept free of weight decay).
_base_ = '../convnext/mask-rcnn_convnext-t_fpn_1x_coco.py'

model = dict(
    backbone=dict(
        type='mmcnn.ConvNeXtV2',
        init_cfg=dict(
            checkpoint='https://dl.fbaipublicfiles.com/convnext/convnextv2/'
            'im1k/convnextv2_tiny_1k_224_ema.pt')))

optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'.grn.': dict(decay_mult=0.)}))

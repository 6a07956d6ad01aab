# ConvNeXt V2-T Cascade Mask R-CNN 3x: ConvNeXt-T's official recipe (the
# V2 paper gives no detection recipe for its small models) with the V2
# backbone; GRN parameters are 1-D and get no weight decay.
_base_ = ('../convnext/'
          'cascade-mask-rcnn_convnext-t_fpn_4conv1fc-giou_ms-crop-3x_coco.py')

model = dict(
    backbone=dict(
        type='mmcnn.ConvNeXtV2',
        init_cfg=dict(
            checkpoint='https://dl.fbaipublicfiles.com/convnext/convnextv2/'
            'im1k/convnextv2_tiny_1k_224_ema.pt')))

# ConvNeXt-S Cascade Mask R-CNN 3x, the official recipe: ConvNeXt-T's with
# stochastic depth 0.6 and the layer-wise lr decay spread over 12 layers.
_base_ = './cascade-mask-rcnn_convnext-t_fpn_4conv1fc-giou_ms-crop-3x_coco.py'

model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.6,
        init_cfg=dict(checkpoint='https://dl.fbaipublicfiles.com/convnext/'
                      'convnext_small_1k_224.pth')))

optim_wrapper = dict(paramwise_cfg=dict(num_layers=12, decay_rate=0.7))

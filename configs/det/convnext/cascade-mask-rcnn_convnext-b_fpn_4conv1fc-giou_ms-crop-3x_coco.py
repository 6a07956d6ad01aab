# ConvNeXt-B Cascade Mask R-CNN 3x, the official recipe: ConvNeXt-T's with
# stochastic depth 0.7 and layer-wise lr decay 0.8 over 12 layers.
_base_ = './cascade-mask-rcnn_convnext-t_fpn_4conv1fc-giou_ms-crop-3x_coco.py'

model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.7,
        init_cfg=dict(checkpoint='https://dl.fbaipublicfiles.com/convnext/'
                      'convnext_base_1k_224.pth')),
    neck=dict(in_channels=[128, 256, 512, 1024]))

optim_wrapper = dict(paramwise_cfg=dict(num_layers=12, decay_rate=0.8))

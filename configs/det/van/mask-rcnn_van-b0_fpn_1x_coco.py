_base_ = './mask-rcnn_van-b2_fpn_1x_coco.py'

model = dict(
    backbone=dict(
        arch='b0',
        init_cfg=dict(checkpoint='https://huggingface.co/'
                      'Visual-Attention-Network/VAN-Tiny-original/resolve/'
                      'main/van_tiny_754.pth.tar')),
    neck=dict(in_channels=[32, 64, 160, 256]))

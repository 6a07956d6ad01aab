_base_ = './mask-rcnn_focalnet-t-srf_fpn_ms-crop-3x_coco.py'

model = dict(
    backbone=dict(
        arch='tiny-lrf',
        init_cfg=dict(checkpoint='checkpoints/focalnet_tiny_lrf.pth')))

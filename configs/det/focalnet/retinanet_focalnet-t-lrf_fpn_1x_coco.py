_base_ = './retinanet_focalnet-t-srf_fpn_1x_coco.py'

model = dict(
    backbone=dict(
        arch='tiny-lrf',
        init_cfg=dict(checkpoint='checkpoints/focalnet_tiny_lrf.pth')))

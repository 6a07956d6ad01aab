_base_ = './retinanet_focalnet-t-srf_fpn_1x_coco.py'

model = dict(
    backbone=dict(
        arch='tiny-lrf',
        init_cfg=dict(checkpoint='https://github.com/microsoft/FocalNet/'
                      'releases/download/v1.0.0/focalnet_tiny_lrf.pth')))

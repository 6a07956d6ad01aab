_base_ = './mask-rcnn_focalnet-s-srf_fpn_1x_coco.py'

model = dict(
    backbone=dict(
        arch='small-lrf',
        init_cfg=dict(checkpoint='https://github.com/microsoft/FocalNet/'
                      'releases/download/v1.0.0/focalnet_small_lrf.pth')))

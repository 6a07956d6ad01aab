_base_ = './focalnet-t-srf_fpn_8xb4-80k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        arch='tiny-lrf',
        init_cfg=dict(checkpoint='https://github.com/microsoft/FocalNet/'
                      'releases/download/v1.0.0/focalnet_tiny_lrf.pth')))

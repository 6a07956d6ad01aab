_base_ = './td-hm_focalnet-t-srf_8xb32-210e_coco-256x192.py'

model = dict(
    backbone=dict(
        arch='tiny-lrf',
        init_cfg=dict(checkpoint='https://github.com/microsoft/FocalNet/'
                      'releases/download/v1.0.0/focalnet_tiny_lrf.pth')))

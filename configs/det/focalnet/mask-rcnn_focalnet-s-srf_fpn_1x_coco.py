# FocalNet-S (SRF) Mask R-CNN 1x, the official recipe: drop path 0.2,
# otherwise as FocalNet-T's.
_base_ = './mask-rcnn_focalnet-t-srf_fpn_1x_coco.py'

model = dict(
    backbone=dict(
        arch='small-srf',
        drop_path_rate=0.2,
        init_cfg=dict(checkpoint='https://github.com/microsoft/FocalNet/'
                      'releases/download/v1.0.0/focalnet_small_srf.pth')))

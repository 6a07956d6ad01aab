_base_ = './mask-rcnn_focalnet-s-srf_fpn_1x_coco.py'

model = dict(
    backbone=dict(
        arch='small-lrf',
        init_cfg=dict(checkpoint='checkpoints/focalnet_small_lrf.pth')))

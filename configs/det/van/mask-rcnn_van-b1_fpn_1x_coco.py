_base_ = './mask-rcnn_van-b2_fpn_1x_coco.py'

model = dict(
    backbone=dict(
        arch='b1',
        init_cfg=dict(checkpoint='checkpoints/van_small_811.pth.tar')))

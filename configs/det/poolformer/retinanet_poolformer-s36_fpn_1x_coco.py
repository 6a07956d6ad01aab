_base_ = './retinanet_poolformer-s12_fpn_1x_coco.py'

model = dict(
    backbone=dict(
        arch='s36',
        init_cfg=dict(checkpoint='checkpoints/poolformer_s36.pth.tar')))

_base_ = './retinanet_van-b2_fpn_1x_coco.py'

model = dict(
    backbone=dict(
        arch='b1',
        init_cfg=dict(checkpoint='https://huggingface.co/'
                      'Visual-Attention-Network/VAN-Small-original/resolve/'
                      'main/van_small_811.pth.tar')))

_base_ = './retinanet_van-b2_fpn_1x_coco.py'

model = dict(
    backbone=dict(
        arch='b3',
        drop_path_rate=0.2,
        init_cfg=dict(checkpoint='https://huggingface.co/'
                      'Visual-Attention-Network/VAN-Large-original/resolve/'
                      'main/van_large_839.pth.tar')))

_base_ = './td-hm_moganet-s_8xb32-210e_coco-256x192.py'

model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.3,
        init_cfg=dict(checkpoint='https://github.com/Westlake-AI/MogaNet/'
                      'releases/download/moganet-in1k-weights/'
                      'moganet_base_sz224_8xbs128_ep300.pth.tar')),
    head=dict(in_channels=512))

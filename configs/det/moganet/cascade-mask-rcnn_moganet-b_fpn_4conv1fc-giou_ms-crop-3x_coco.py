_base_ = './cascade-mask-rcnn_moganet-s_fpn_4conv1fc-giou_ms-crop-3x_coco.py'

model = dict(
    backbone=dict(
        arch='base',
        drop_path_rate=0.2,
        init_cfg=dict(
            checkpoint='https://github.com/Westlake-AI/MogaNet/releases/'
            'download/moganet-in1k-weights/'
            'moganet_base_sz224_8xbs128_ep300.pth.tar')),
    neck=dict(in_channels=[64, 160, 320, 512]))

# Layer-wise lr decay: 0.8 per layer over 12 backbone layers.
optim_wrapper = dict(
    constructor='mmcnn.LayerDecayOptimWrapperConstructor',
    optimizer=dict(lr=1e-4),
    paramwise_cfg=dict(_delete_=True, num_layers=12, decay_rate=0.8))

# MogaNet large: the backbone of the det / seg / pose configs, with its release
# checkpoint, and its per-stage channels, named by size so that one config
# holds every size of the family (moganet.py lists them). A task config writes
# ``backbone=dict(_base_.moganet_l, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.moganet_l_widths``.
moganet_l = dict(
    type='mmcnn.MogaNet',
    arch='large',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.3,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://github.com/Westlake-AI/MogaNet/releases/'
        'download/moganet-in1k-weights/'
        'moganet_large_sz224_8xbs64_ep300.pth.tar'))
moganet_l_widths = [64, 160, 320, 640]

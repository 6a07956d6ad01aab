# MogaNet base: the backbone of the det / seg / pose configs, with its release
# checkpoint, and its per-stage channels, named by size so that one config
# holds every size of the family (moganet.py lists them). A task config writes
# ``backbone=dict(_base_.moganet_b, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.moganet_b_widths``.
moganet_b = dict(
    type='mmcnn.MogaNet',
    arch='base',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.2,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://github.com/Westlake-AI/MogaNet/releases/'
        'download/moganet-in1k-weights/'
        'moganet_base_sz224_8xbs128_ep300.pth.tar'))
moganet_b_widths = [64, 160, 320, 512]

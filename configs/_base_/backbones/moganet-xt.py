# MogaNet xtiny: the backbone of the det / seg / pose configs, with its release
# checkpoint, and its per-stage channels, named by size so that one config
# holds every size of the family (moganet.py inherits it and derives the
# larger sizes from it). A task config writes
# ``backbone=dict(_base_.moganet_xt, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.moganet_xt_widths``.
moganet_xt = dict(
    type='mmcnn.MogaNet',
    arch='xtiny',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.05,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://github.com/Westlake-AI/MogaNet/releases/'
        'download/moganet-in1k-weights/'
        'moganet_xtiny_sz224_8xbs128_ep300.pth.tar'))
moganet_xt_widths = [32, 64, 96, 192]

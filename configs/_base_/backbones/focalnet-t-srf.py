# FocalNet tiny-srf: the backbone of the det / seg / pose configs, with its
# release checkpoint, and its per-stage channels, named by size so that one
# config holds every size of the family (focalnet.py lists them). A task config
# writes ``backbone=dict(_base_.focalnet_t_srf, _delete_=True, <overrides>)``
# and ``in_channels=_base_.focalnet_t_srf_widths``.
focalnet_t_srf = dict(
    type='mmcnn.FocalNet',
    arch='tiny-srf',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.3,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://github.com/microsoft/FocalNet/releases/download/'
        'v1.0.0/focalnet_tiny_srf.pth'))
focalnet_t_srf_widths = [96, 192, 384, 768]

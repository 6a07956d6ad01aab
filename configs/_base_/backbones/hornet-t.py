# HorNet tiny: the backbone of the det / seg / pose configs, with its release
# checkpoint, and its per-stage channels, named by size so that one config
# holds every size of the family (hornet.py lists them). A task config writes
# ``backbone=dict(_base_.hornet_t, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.hornet_t_widths``.
hornet_t = dict(
    type='mmcnn.HorNet',
    arch='tiny',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.1,
    init_cfg=dict(
        type='Pretrained', checkpoint='checkpoints/hornet_tiny_7x7.pth'))
hornet_t_widths = [64, 128, 256, 512]

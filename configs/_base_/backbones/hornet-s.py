# HorNet small: the backbone of the det / seg / pose configs, with its release
# checkpoint, and its per-stage channels, named by size so that one config
# holds every size of the family (hornet.py lists them). A task config writes
# ``backbone=dict(_base_.hornet_s, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.hornet_s_widths``.
hornet_s = dict(
    type='mmcnn.HorNet',
    arch='small',
    out_indices=(0, 1, 2, 3),
    init_cfg=dict(
        type='Pretrained', checkpoint='checkpoints/hornet_small_7x7.pth'))
hornet_s_widths = [96, 192, 384, 768]

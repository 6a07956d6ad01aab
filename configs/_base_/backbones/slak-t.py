# SLaK tiny: the backbone of the det / seg / pose configs, with its release
# checkpoint, and its per-stage channels, named by size so that one config
# holds every size of the family (slak.py inherits it and derives SLaK small
# from it). A task config writes
# ``backbone=dict(_base_.slak_t, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.slak_t_widths``.
slak_t = dict(
    type='mmcnn.SLaK',
    arch='tiny',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.1,
    init_cfg=dict(
        type='Pretrained', checkpoint='checkpoints/SLaK_tiny_checkpoint.pth'))
slak_t_widths = [124, 249, 499, 998]

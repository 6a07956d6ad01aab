# SLaK small: the backbone of the det / seg / pose configs, with its release
# checkpoint, and its per-stage channels, named by size so that one config
# holds every size of the family (slak.py lists them). A task config writes
# ``backbone=dict(_base_.slak_s, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.slak_s_widths``.
slak_s = dict(
    type='mmcnn.SLaK',
    arch='small',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.3,
    init_cfg=dict(
        type='Pretrained', checkpoint='checkpoints/SLaK_small_checkpoint.pth'))
slak_s_widths = [124, 249, 499, 998]

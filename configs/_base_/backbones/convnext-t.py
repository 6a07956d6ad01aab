# ConvNeXt tiny: the backbone of the det / seg / pose configs, with its release
# checkpoint, and its per-stage channels, named by size so that one config
# holds every size of the family (convnext.py lists them). A task config writes
# ``backbone=dict(_base_.convnext_t, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.convnext_t_widths``.
convnext_t = dict(
    type='mmcnn.ConvNeXt',
    arch='tiny',
    out_indices=(0, 1, 2, 3),
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://dl.fbaipublicfiles.com/convnext/'
        'convnext_tiny_1k_224.pth'))
convnext_t_widths = [96, 192, 384, 768]

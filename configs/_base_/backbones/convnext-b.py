# ConvNeXt base: the backbone of the det / seg / pose configs, with its release
# checkpoint, and its per-stage channels, named by size so that one config
# holds every size of the family (convnext.py lists them). A task config writes
# ``backbone=dict(_base_.convnext_b, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.convnext_b_widths``.
convnext_b = dict(
    type='mmcnn.ConvNeXt',
    arch='base',
    out_indices=(0, 1, 2, 3),
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://dl.fbaipublicfiles.com/convnext/'
        'convnext_base_1k_224.pth'))
convnext_b_widths = [128, 256, 512, 1024]

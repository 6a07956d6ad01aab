# ConvNeXt small: the backbone of the det / seg / pose configs, with its
# release checkpoint, and its per-stage channels, named by size so that one
# config holds every size of the family (convnext.py lists them). A task config
# writes ``backbone=dict(_base_.convnext_s, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.convnext_s_widths``.
convnext_s = dict(
    type='mmcnn.ConvNeXt',
    arch='small',
    out_indices=(0, 1, 2, 3),
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://dl.fbaipublicfiles.com/convnext/'
        'convnext_small_1k_224.pth'))
convnext_s_widths = [96, 192, 384, 768]

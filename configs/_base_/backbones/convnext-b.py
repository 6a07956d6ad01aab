# ConvNeXt base: the backbone of the det / seg / pose configs, with its
# release checkpoint, and its per-stage channels. A task config lists
# this file in ``_base_`` and writes
# ``backbone=dict(_base_.backbone, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.widths``.
backbone = dict(
    type='mmcnn.ConvNeXt',
    arch='base',
    out_indices=(0, 1, 2, 3),
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://dl.fbaipublicfiles.com/convnext/'
        'convnext_base_1k_224.pth'))
widths = [128, 256, 512, 1024]

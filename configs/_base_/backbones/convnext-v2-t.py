# ConvNeXtV2 tiny: the backbone of the det / seg / pose configs, with its
# release checkpoint, and its per-stage channels. A task config lists
# this file in ``_base_`` and writes
# ``backbone=dict(_base_.backbone, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.widths``.
backbone = dict(
    type='mmcnn.ConvNeXtV2',
    arch='tiny',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.1,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://dl.fbaipublicfiles.com/convnext/convnextv2/im1k/'
        'convnextv2_tiny_1k_224_ema.pt'))
widths = [96, 192, 384, 768]

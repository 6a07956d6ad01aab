# InceptionNeXt base: the backbone of the det / seg / pose configs, with its
# release checkpoint, and its per-stage channels. A task config lists
# this file in ``_base_`` and writes
# ``backbone=dict(_base_.backbone, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.widths``.
backbone = dict(
    type='mmcnn.InceptionNeXt',
    arch='base',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.4,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://github.com/sail-sg/inceptionnext/releases/'
        'download/model/inceptionnext_base.pth'))
widths = [128, 256, 512, 1024]

# InceptionNeXt tiny: the backbone of the det / seg / pose configs, with its
# release checkpoint, and its per-stage channels, named by size so that one
# config holds every size of the family (inceptionnext.py lists them). A task
# config writes ``backbone=dict(_base_.inceptionnext_t, _delete_=True,
# <overrides>)`` and ``in_channels=_base_.inceptionnext_t_widths``.
inceptionnext_t = dict(
    type='mmcnn.InceptionNeXt',
    arch='tiny',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.1,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://github.com/sail-sg/inceptionnext/releases/'
        'download/model/inceptionnext_tiny.pth'))
inceptionnext_t_widths = [96, 192, 384, 768]

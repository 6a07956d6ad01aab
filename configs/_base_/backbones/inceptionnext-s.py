# InceptionNeXt small: the backbone of the det / seg / pose configs, with its
# release checkpoint, and its per-stage channels, named by size so that one
# config holds every size of the family (inceptionnext.py lists them). A task
# config writes ``backbone=dict(_base_.inceptionnext_s, _delete_=True,
# <overrides>)`` and ``in_channels=_base_.inceptionnext_s_widths``.
inceptionnext_s = dict(
    type='mmcnn.InceptionNeXt',
    arch='small',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.3,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://github.com/sail-sg/inceptionnext/releases/'
        'download/model/inceptionnext_small.pth'))
inceptionnext_s_widths = [96, 192, 384, 768]

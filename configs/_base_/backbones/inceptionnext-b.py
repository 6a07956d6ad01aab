# InceptionNeXt base: the backbone of the det / seg / pose configs, with its
# release checkpoint, and its per-stage channels, named by size so that one
# config holds every size of the family (inceptionnext.py lists them). A task
# config writes ``backbone=dict(_base_.inceptionnext_b, _delete_=True,
# <overrides>)`` and ``in_channels=_base_.inceptionnext_b_widths``.
inceptionnext_b = dict(
    type='mmcnn.InceptionNeXt',
    arch='base',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.4,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://github.com/sail-sg/inceptionnext/releases/'
        'download/model/inceptionnext_base.pth'))
inceptionnext_b_widths = [128, 256, 512, 1024]

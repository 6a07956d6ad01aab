# ConvNeXtV2 tiny: the backbone of the det / seg / pose configs, with its
# release checkpoint, and its per-stage channels, named by size so that one
# config holds every size of the family (convnext-v2.py lists them). A task
# config writes ``backbone=dict(_base_.convnext_v2_t, _delete_=True,
# <overrides>)`` and ``in_channels=_base_.convnext_v2_t_widths``.
convnext_v2_t = dict(
    type='mmcnn.ConvNeXtV2',
    arch='tiny',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.1,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://dl.fbaipublicfiles.com/convnext/convnextv2/im1k/'
        'convnextv2_tiny_1k_224_ema.pt'))
convnext_v2_t_widths = [96, 192, 384, 768]

# RepLKNet 31b: the backbone of the det / seg / pose configs, with its release
# checkpoint, and its per-stage channels, named by size so that one config
# holds every size of the family (replknet.py lists them). A task config writes
# ``backbone=dict(_base_.replknet_31b, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.replknet_31b_widths``.
replknet_31b = dict(
    type='mmcnn.RepLKNet',
    arch='31b',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.3,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='checkpoints/RepLKNet-31B_ImageNet-1K_224.pth'))
replknet_31b_widths = [128, 256, 512, 1024]

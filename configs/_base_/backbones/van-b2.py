# VAN b2: the backbone of the det / seg / pose configs, with its release
# checkpoint, and its per-stage channels, named by size so that one config
# holds every size of the family (van.py lists them). A task config writes
# ``backbone=dict(_base_.van_b2, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.van_b2_widths``.
van_b2 = dict(
    type='mmcnn.VAN',
    arch='b2',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.2,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://huggingface.co/Visual-Attention-Network/'
        'VAN-Base-original/resolve/main/van_base_828.pth.tar'))
van_b2_widths = [64, 128, 320, 512]

# VAN b3: the backbone of the det / seg / pose configs, with its release
# checkpoint, and its per-stage channels, named by size so that one config
# holds every size of the family (van.py lists them). A task config writes
# ``backbone=dict(_base_.van_b3, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.van_b3_widths``.
van_b3 = dict(
    type='mmcnn.VAN',
    arch='b3',
    out_indices=(0, 1, 2, 3),
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://huggingface.co/Visual-Attention-Network/'
        'VAN-Large-original/resolve/main/van_large_839.pth.tar'))
van_b3_widths = [64, 128, 320, 512]

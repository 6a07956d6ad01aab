# VAN b1: the backbone of the det / seg / pose configs, with its release
# checkpoint, and its per-stage channels, named by size so that one config
# holds every size of the family (van.py lists them). A task config writes
# ``backbone=dict(_base_.van_b1, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.van_b1_widths``.
van_b1 = dict(
    type='mmcnn.VAN',
    arch='b1',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.1,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://huggingface.co/Visual-Attention-Network/'
        'VAN-Small-original/resolve/main/van_small_811.pth.tar'))
van_b1_widths = [64, 128, 320, 512]

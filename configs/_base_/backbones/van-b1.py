# VAN b1: the backbone of the det / seg / pose configs, with its
# release checkpoint, and its per-stage channels. A task config lists
# this file in ``_base_`` and writes
# ``backbone=dict(_base_.backbone, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.widths``.
backbone = dict(
    type='mmcnn.VAN',
    arch='b1',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.1,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://huggingface.co/Visual-Attention-Network/'
        'VAN-Small-original/resolve/main/van_small_811.pth.tar'))
widths = [64, 128, 320, 512]

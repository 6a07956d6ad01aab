# PoolFormer s12: the backbone of the det / seg / pose configs, with its
# release checkpoint, and its per-stage channels. A task config lists
# this file in ``_base_`` and writes
# ``backbone=dict(_base_.backbone, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.widths``.
backbone = dict(
    type='mmcnn.PoolFormer',
    arch='s12',
    out_indices=(0, 1, 2, 3),
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://github.com/sail-sg/poolformer/releases/download/'
        'v1.0/poolformer_s12.pth.tar'))
widths = [64, 128, 320, 512]

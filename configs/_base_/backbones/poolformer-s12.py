# PoolFormer s12: the backbone of the det / seg / pose configs, with its
# release checkpoint, and its per-stage channels, named by size so that one
# config holds every size of the family (poolformer.py lists them). A task
# config writes ``backbone=dict(_base_.poolformer_s12, _delete_=True,
# <overrides>)`` and ``in_channels=_base_.poolformer_s12_widths``.
poolformer_s12 = dict(
    type='mmcnn.PoolFormer',
    arch='s12',
    out_indices=(0, 1, 2, 3),
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://github.com/sail-sg/poolformer/releases/download/'
        'v1.0/poolformer_s12.pth.tar'))
poolformer_s12_widths = [64, 128, 320, 512]

# UniRepLKNet small: the backbone of the det / seg / pose configs, with its
# release checkpoint, and its per-stage channels, named by size so that one
# config holds every size of the family (unireplknet.py lists them). A task
# config writes ``backbone=dict(_base_.unireplknet_s, _delete_=True,
# <overrides>)`` and ``in_channels=_base_.unireplknet_s_widths``.
unireplknet_s = dict(
    type='mmcnn.UniRepLKNet',
    arch='small',
    out_indices=(0, 1, 2, 3),
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://huggingface.co/DingXiaoH/UniRepLKNet/resolve/'
        'main/unireplknet_s_in1k_224_acc83.91.pth'))
unireplknet_s_widths = [96, 192, 384, 768]

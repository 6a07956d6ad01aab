# UniRepLKNet tiny: the backbone of the det / seg / pose configs, with its
# release checkpoint, and its per-stage channels, named by size so that one
# config holds every size of the family (unireplknet.py lists them). A task
# config writes ``backbone=dict(_base_.unireplknet_t, _delete_=True,
# <overrides>)`` and ``in_channels=_base_.unireplknet_t_widths``.
unireplknet_t = dict(
    type='mmcnn.UniRepLKNet',
    arch='tiny',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.1,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://huggingface.co/DingXiaoH/UniRepLKNet/resolve/'
        'main/unireplknet_t_in1k_224_acc83.21.pth'))
unireplknet_t_widths = [80, 160, 320, 640]

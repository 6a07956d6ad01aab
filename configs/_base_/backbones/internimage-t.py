# InternImage tiny: the backbone of the det / seg / pose configs, with its
# release checkpoint, and its per-stage channels, named by size so that one
# config holds every size of the family (internimage.py lists them). A task
# config writes ``backbone=dict(_base_.internimage_t, _delete_=True,
# <overrides>)`` and ``in_channels=_base_.internimage_t_widths``.
internimage_t = dict(
    type='mmcnn.InternImage',
    arch='tiny',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.2,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://huggingface.co/OpenGVLab/InternImage/resolve/'
        'main/internimage_t_1k_224.pth'))
internimage_t_widths = [64, 128, 256, 512]

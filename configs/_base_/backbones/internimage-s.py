# InternImage small: the backbone of the det / seg / pose configs, with its
# release checkpoint, and its per-stage channels, named by size so that one
# config holds every size of the family (internimage.py lists them). A task
# config writes ``backbone=dict(_base_.internimage_s, _delete_=True,
# <overrides>)`` and ``in_channels=_base_.internimage_s_widths``.
internimage_s = dict(
    type='mmcnn.InternImage',
    arch='small',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.3,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://huggingface.co/OpenGVLab/InternImage/resolve/'
        'main/internimage_s_1k_224.pth'))
internimage_s_widths = [80, 160, 320, 640]

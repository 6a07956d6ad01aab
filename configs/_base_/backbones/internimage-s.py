# InternImage small: the backbone of the det / seg / pose configs, with its
# release checkpoint, and its per-stage channels. A task config lists
# this file in ``_base_`` and writes
# ``backbone=dict(_base_.backbone, _delete_=True, <overrides>)`` and
# ``in_channels=_base_.widths``.
backbone = dict(
    type='mmcnn.InternImage',
    arch='small',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.3,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://huggingface.co/OpenGVLab/InternImage/resolve/'
        'main/internimage_s_1k_224.pth'))
widths = [80, 160, 320, 640]

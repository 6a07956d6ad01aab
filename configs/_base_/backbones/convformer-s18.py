# ConvFormer s18: the backbone of the det / seg / pose configs, with its
# release checkpoint, and its per-stage channels, named by size so that one
# config holds every size of the family (convformer.py lists them). A task
# config writes ``backbone=dict(_base_.convformer_s18, _delete_=True,
# <overrides>)`` and ``in_channels=_base_.convformer_s18_widths``.
convformer_s18 = dict(
    type='mmcnn.ConvFormer',
    arch='s18',
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.1,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='https://huggingface.co/sail/dl/resolve/main/convformer/'
        'convformer_s18.pth'))
convformer_s18_widths = [64, 128, 320, 512]

# OverLoCK backbone fragments for the dense-prediction configs (which name
# the project's package in their custom_imports): each size's dense backbone (stochastic depth 0.2 and
# the official ImageNet checkpoint, as in the official detection and
# segmentation configs) and its output widths (C0, C1, C2 + C3/4, C3 + C3/4).
_release = 'https://github.com/LMMMEng/OverLoCK/releases/download/v1/'
overlock_t = dict(
    type='mmcnn.OverLoCK',
    arch='t',
    drop_path_rate=0.2,
    init_cfg=dict(
        type='Pretrained', checkpoint=_release + 'overlock_t_in1k_224.pth'))
overlock_t_widths = [64, 128, 384, 640]

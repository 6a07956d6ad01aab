# OverLoCK backbone fragments for the dense-prediction configs (which name
# the project's package in their custom_imports): each size's dense
# backbone (the official detection stochastic depth, 0.2 / 0.4 / 0.6 for
# T / S / B, and the official ImageNet checkpoint) and its output widths
# (C0, C1, C2 + C3/4, C3 + C3/4).
_release = 'https://github.com/LMMMEng/OverLoCK/releases/download/v1/'
overlock_t = dict(
    type='mmcnn.OverLoCK',
    arch='t',
    drop_path_rate=0.2,
    init_cfg=dict(
        type='Pretrained', checkpoint=_release + 'overlock_t_in1k_224.pth'))
overlock_t_widths = [64, 128, 384, 640]
overlock_s = dict(overlock_t, arch='s', drop_path_rate=0.4)
overlock_s['init_cfg'] = dict(overlock_t['init_cfg'],
                              checkpoint=_release + 'overlock_s_in1k_224.pth')
overlock_s_widths = [64, 128, 448, 640]
overlock_b = dict(overlock_t, arch='b', drop_path_rate=0.6)
overlock_b['init_cfg'] = dict(overlock_t['init_cfg'],
                              checkpoint=_release + 'overlock_b_in1k_224.pth')
overlock_b_widths = [80, 160, 528, 720]

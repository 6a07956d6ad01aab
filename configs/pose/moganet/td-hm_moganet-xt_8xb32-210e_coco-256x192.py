_base_ = [
    '../../_base_/pose/td-hm_moganet_8xb32-210e_coco-256x192.py',
    '../../_base_/backbones/moganet.py',
]

model = dict(
    backbone=dict(
        _base_.moganet_xt,
        _delete_=True,
        out_indices=(3, ),
        drop_path_rate=0.1),
    head=dict(in_channels=_base_.moganet_xt_widths[-1]))

_base_ = './td-hm_moganet-xt_8xb32-210e_coco-256x192.py'

model = dict(
    backbone=dict(
        _base_.moganet_b, _delete_=True, out_indices=(3, ),
        drop_path_rate=0.3),
    head=dict(in_channels=_base_.moganet_b_widths[-1]))

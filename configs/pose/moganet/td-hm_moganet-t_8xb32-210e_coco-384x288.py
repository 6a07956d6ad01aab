_base_ = './td-hm_moganet-xt_8xb32-210e_coco-384x288.py'

model = dict(
    backbone=dict(
        _base_.moganet_t,
        _delete_=True,
        out_indices=(3, ),
        drop_path_rate=0.15),
    head=dict(in_channels=_base_.moganet_t_widths[-1]))

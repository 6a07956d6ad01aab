_base_ = './td-hm_focalnet-t-srf_8xb32-210e_coco-256x192.py'

model = dict(
    backbone=dict(
        _base_.focalnet_t_lrf,
        _delete_=True,
        out_indices=(3, ),
        drop_path_rate=0.2),
    head=dict(in_channels=_base_.focalnet_t_lrf_widths[-1]))

_base_ = [
    '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py',
    '../../_base_/backbones/focalnet-s-srf.py',
]

model = dict(
    backbone=dict(
        _base_.backbone,
        _delete_=True,
        drop_path_rate=0.3,
        focal_windows=(9, 9, 9, 9)),
    decode_head=dict(in_channels=_base_.widths),
    auxiliary_head=dict(in_channels=_base_.widths[2]))

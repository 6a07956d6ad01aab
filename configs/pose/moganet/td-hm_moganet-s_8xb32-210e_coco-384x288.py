# MogaNet-S top-down pose at 384x288 (96x72 heatmaps). The MogaNet paper
# keeps sigma 2 at this size (mmpose's own 384x288 configs use 3).
_base_ = [
    '../../_base_/pose/td-hm_moganet_8xb32-210e_coco-384x288.py',
    '../../_base_/backbones/moganet-s.py',
]

model = dict(
    backbone=dict(
        _base_.backbone, _delete_=True, out_indices=(3, ), drop_path_rate=0.2),
    head=dict(in_channels=_base_.widths[-1]))

# MogaNet-S top-down pose at 384x288 (96x72 heatmaps). The MogaNet paper
# keeps sigma 2 at this size (mmpose's own 384x288 configs use 3).
_base_ = './td-hm_moganet-xt_8xb32-210e_coco-384x288.py'

model = dict(
    backbone=dict(
        _base_.moganet_s, _delete_=True, out_indices=(3, ),
        drop_path_rate=0.2),
    head=dict(in_channels=_base_.moganet_s_widths[-1]))

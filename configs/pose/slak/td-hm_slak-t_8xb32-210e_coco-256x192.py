# Top-down heatmap pose estimation with SLaK-T on COCO (SimpleBaseline head
# on the last stage). The SLaK paper has no pose result; the recipe is the
# MogaNet one with MogaNet-S's stochastic depth.
_base_ = [
    '../../_base_/pose/td-hm_8xb32-210e_coco-256x192.py',
    '../../_base_/backbones/slak.py',
]

model = dict(
    backbone=dict(
        _base_.slak_t, _delete_=True, out_indices=(3, ), drop_path_rate=0.2),
    head=dict(in_channels=_base_.slak_t_widths[-1]))

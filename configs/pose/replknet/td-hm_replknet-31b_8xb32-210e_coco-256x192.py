# Top-down heatmap pose estimation with RepLKNet-31B on COCO (SimpleBaseline
# head on the last stage). The RepLKNet paper has no pose result; the
# recipe is the MogaNet one with MogaNet-B's stochastic depth.
_base_ = [
    '../../_base_/pose/td-hm_8xb32-210e_coco-256x192.py',
    '../../_base_/backbones/replknet.py',
]

model = dict(
    backbone=dict(_base_.replknet_31b, _delete_=True, out_indices=(3, )),
    head=dict(in_channels=_base_.replknet_31b_widths[-1]))

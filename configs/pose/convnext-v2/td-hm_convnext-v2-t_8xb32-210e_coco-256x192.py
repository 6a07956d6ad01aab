# Top-down heatmap pose estimation with ConvNeXt V2-T on COCO: ConvNeXt-T's
# config with the V2 backbone.
_base_ = [
    '../../_base_/pose/td-hm_8xb32-210e_coco-256x192.py',
    '../../_base_/backbones/convnext-v2.py',
]

model = dict(
    backbone=dict(
        _base_.convnext_v2_t,
        _delete_=True,
        out_indices=(3, ),
        drop_path_rate=0.2),
    head=dict(in_channels=_base_.convnext_v2_t_widths[-1]))

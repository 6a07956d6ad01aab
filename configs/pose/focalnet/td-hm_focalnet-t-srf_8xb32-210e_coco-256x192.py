# Top-down heatmap pose estimation with FocalNet-T (SRF) on COCO (no
# published result): the MogaNet recipe, SimpleBaseline head on the last
# stage, Adam (lr 1e-3), 210 epochs, 8 GPUs x 32 instances.
_base_ = [
    '../../_base_/pose/td-hm_8xb32-210e_coco-256x192.py',
    '../../_base_/backbones/focalnet.py',
]

model = dict(
    backbone=dict(
        _base_.focalnet_t_srf,
        _delete_=True,
        out_indices=(3, ),
        drop_path_rate=0.2),
    head=dict(in_channels=_base_.focalnet_t_srf_widths[-1]))

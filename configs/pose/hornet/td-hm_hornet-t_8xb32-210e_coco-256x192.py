# Top-down heatmap pose estimation with HorNet-T (7x7) on COCO (no
# published result): the MogaNet recipe, SimpleBaseline head on the last
# stage, Adam (lr 1e-3), 210 epochs, 8 GPUs x 32 instances.
_base_ = [
    '../../_base_/pose/td-hm_8xb32-210e_coco-256x192.py',
    '../../_base_/backbones/hornet.py',
]

model = dict(
    backbone=dict(
        _base_.hornet_t, _delete_=True, out_indices=(3, ), drop_path_rate=0.2),
    head=dict(in_channels=_base_.hornet_t_widths[-1]))

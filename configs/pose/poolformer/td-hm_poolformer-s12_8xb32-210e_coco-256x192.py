# Top-down heatmap pose estimation with PoolFormer-S12 on COCO (no
# published result): the MogaNet recipe, SimpleBaseline head on the last
# stage, Adam (lr 1e-3), 210 epochs, 8 GPUs x 32 instances.
_base_ = [
    '../../_base_/pose/td-hm_8xb32-210e_coco-256x192.py',
    '../../_base_/backbones/poolformer.py',
]

model = dict(
    backbone=dict(
        _base_.poolformer_s12,
        _delete_=True,
        out_indices=(3, ),
        drop_path_rate=0.1),
    head=dict(in_channels=_base_.poolformer_s12_widths[-1]))

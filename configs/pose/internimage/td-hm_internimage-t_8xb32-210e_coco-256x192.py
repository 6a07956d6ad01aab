# Top-down heatmap pose estimation with InternImage-T on COCO (no published
# result): the MogaNet recipe, SimpleBaseline head on the last stage, Adam
# (lr 1e-3), 210 epochs, 8 GPUs x 32 instances.
_base_ = [
    '../../_base_/pose/td-hm_8xb32-210e_coco-256x192.py',
    '../../_base_/backbones/internimage.py',
]

model = dict(
    backbone=dict(_base_.internimage_t, _delete_=True, out_indices=(3, )),
    head=dict(in_channels=_base_.internimage_t_widths[-1]))

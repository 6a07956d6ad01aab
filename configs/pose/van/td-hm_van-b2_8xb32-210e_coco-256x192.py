# Top-down heatmap pose estimation with VAN-B2 on COCO (SimpleBaseline head
# on the last stage), the VAN paper's Swin-style recipe: Adam (lr 5e-4),
# steps at epochs 170 and 200 of 210, 256x192 inputs.
_base_ = [
    '../../_base_/pose/td-hm_8xb32-210e_coco-256x192.py',
    '../../_base_/backbones/van.py',
]

optim_wrapper = dict(optimizer=dict(lr=5e-4))

model = dict(
    backbone=dict(
        _base_.van_b2, _delete_=True, out_indices=(3, ), drop_path_rate=0.1),
    head=dict(in_channels=_base_.van_b2_widths[-1]))

# Top-down heatmap pose estimation with MogaNet-S on COCO, the MogaNet
# paper's recipe (SimpleBaseline head on the last stage): Adam (lr 1e-3),
# 500-iteration linear warm-up, steps at epochs 170 and 200 of 210,
# 8 GPUs x 32 instances, 256x192 inputs with sigma-2 heatmaps, flip test
# and person boxes from a detector.
_base_ = './td-hm_moganet-xt_8xb32-210e_coco-256x192.py'

model = dict(
    backbone=dict(
        _base_.moganet_s, _delete_=True, out_indices=(3, ),
        drop_path_rate=0.2),
    head=dict(in_channels=_base_.moganet_s_widths[-1]))

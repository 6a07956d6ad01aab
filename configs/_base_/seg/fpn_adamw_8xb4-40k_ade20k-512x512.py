# The Semantic FPN schedule of the PVT, PoolFormer and VAN papers: the
# 80k base's optimiser over 40k iterations.
_base_ = './fpn_adamw_8xb4-80k_ade20k-512x512.py'

param_scheduler = [dict(_base_.param_scheduler[0], end=40000)]
train_cfg = dict(max_iters=40000)

# The PoolFormer paper's Semantic FPN schedule: the same optimiser over 40k
# iterations.
_base_ = './poolformer-s12_fpn_8xb4-80k_ade20k-512x512.py'

param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=40000,
        by_epoch=False)
]
train_cfg = dict(max_iters=40000)

# The shared ImageNet-1k recipe with 5 warm-up epochs instead of 20, and
# the cosine decay to 1e-5 ending at epoch 300, as in the PoolFormer and
# VAN papers.
_base_ = './imagenet_8xb128_adamw-300e.py'

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-5,
        by_epoch=True,
        begin=5,
        end=300,
        convert_to_iter_based=True),
]

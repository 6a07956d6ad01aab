# RepLKNet-31B on ImageNet-1k at 224x224, the official recipe
# (DingXiaoH/RepLKNet-pytorch README): AdamW (lr 4e-3 for a total batch of
# 2048, wd 0.05, none on 1-D parameters), 10 warm-up epochs, cosine decay
# over 300 epochs, stochastic depth 0.5, RandAugment, Mixup 0.8 / CutMix
# 1.0, label smoothing 0.1, random erasing 0.25, EMA. As in the official
# classifier, a BN normalises the last stage before the pooling.
_base_ = '../../_base_/cls/imagenet_8xb128_adamw-300e.py'

model = dict(
    backbone=dict(
        type='mmcnn.RepLKNet',
        arch='31b',
        out_indices=(3, ),
        drop_path_rate=0.5,
        norm_intermediate_features=True),
    head=dict(in_channels=1024))

train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=4e-3))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        end=10,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-6,
        by_epoch=True,
        begin=10,
        end=300,
        convert_to_iter_based=True),
]
auto_scale_lr = dict(base_batch_size=2048)
custom_hooks = [dict(type='EMAHook', momentum=1e-4, priority='ABOVE_NORMAL')]

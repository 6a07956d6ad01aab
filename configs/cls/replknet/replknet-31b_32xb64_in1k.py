# RepLKNet-31B on ImageNet-1k at 224x224, the official recipe
# (DingXiaoH/RepLKNet-pytorch README): AdamW (lr 4e-3 for a total batch of
# 2048, wd 0.05, none on 1-D parameters), 10 warm-up epochs, cosine decay
# over 300 epochs, stochastic depth 0.5, RandAugment, Mixup 0.8 / CutMix
# 1.0, label smoothing 0.1, random erasing 0.25, EMA. As in the official
# classifier, a BN normalises the last stage before the pooling.
_base_ = '../../_base_/cls/imagenet_32xb128_adamw-lr4e-3-300e_ema.py'

model = dict(
    backbone=dict(
        type='mmcnn.RepLKNet',
        arch='31b',
        out_indices=(3, ),
        drop_path_rate=0.5,
        norm_intermediate_features=True),
    head=dict(in_channels=1024))

train_dataloader = dict(batch_size=64)
param_scheduler = [
    dict(_base_.param_scheduler[0], end=10),
    dict(_base_.param_scheduler[1], begin=10),
]
auto_scale_lr = dict(base_batch_size=2048)

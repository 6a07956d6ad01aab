# SLaK-T on ImageNet-1k at 224x224, the official recipe (VITA-Group/SLaK
# README, ConvNeXt's code base): AdamW (lr 4e-3 for a total batch of 4096,
# wd 0.05, none on 1-D parameters), 20 warm-up epochs, cosine decay to
# 1e-6 over 300 epochs, stochastic depth 0.1, RandAugment, Mixup 0.8 /
# CutMix 1.0, label smoothing 0.1, random erasing 0.25, EMA, and dynamic
# sparsity: 40% of every conv / linear weight is zero (Erdos-Renyi-kernel
# densities), and every 2000 iterations half of the active weights of a
# layer (cosine-decayed) are pruned by magnitude and regrown at random.
# As in the official classifier, the final LayerNorm acts on the pooled
# features.
_base_ = '../convnext/convnext-t_32xb128_in1k.py'

model = dict(
    backbone=dict(type='mmcnn.SLaK'),
    head=dict(in_channels=998))
custom_hooks = [
    dict(type='EMAHook', momentum=1e-4, priority='ABOVE_NORMAL'),
    dict(
        type='mmcnn.DynamicSparsityHook',
        sparsity=0.4,
        interval=2000,
        prune_rate=0.5,
        init='erk'),
]

# MogaNet-S on ImageNet-1k at 224x224, the MogaNet paper's DeiT-style
# recipe: AdamW (lr 1e-3 for a total batch of 1024, wd 0.05, no decay on
# norms and biases), 5 warm-up epochs from 1e-5, cosine decay to 1e-6 over
# 300 epochs, RandAugment (m9, mstd 0.5), Mixup 0.8 / CutMix 1.0, label
# smoothing 0.1, random erasing 0.25, EMA of the weights (decay 0.9999),
# centre crop ratio 0.9 at test time. The PoolFormer recipe base gives
# everything but the warm-up start, the final lr and the EMA.
_base_ = '../../_base_/cls/imagenet_8xb128_adamw-300e_warmup-5e_resize-248.py'

model = dict(
    backbone=dict(
        type='mmcnn.MogaNet',
        arch='small',
        out_indices=(3, ),
        drop_path_rate=0.1),
    head=dict(in_channels=512))

param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=1e-2),
    dict(_base_.param_scheduler[1], eta_min=1e-6),
]
custom_hooks = [dict(type='EMAHook', momentum=1e-4, priority='ABOVE_NORMAL')]

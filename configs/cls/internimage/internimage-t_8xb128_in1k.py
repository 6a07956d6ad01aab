# InternImage-T on ImageNet-1k at 224x224, the official recipe (Swin's):
# AdamW (lr 1e-3 for a total batch of 1024, wd 0.05, no decay on 1-D
# parameters), 20 warm-up epochs, cosine decay over 300 epochs, drop path
# 0.1, gradient clipping at norm 5, EMA of the weights (0.9999),
# RandAugment m9, Mixup 0.8 / CutMix 1.0, label smoothing 0.1, random
# erasing 0.25; test crop ratio 0.875. The official classifier widens the
# last stage to 768 channels (1x1 conv, BN, GELU) before pooling; here a
# linear head reads the 512-channel pooled features.
_base_ = '../../_base_/cls/imagenet_8xb128_adamw-300e.py'

model = dict(
    backbone=dict(
        type='mmcnn.InternImage',
        arch='tiny',
        out_indices=(3, ),
        drop_path_rate=0.1),
    head=dict(in_channels=512))

optim_wrapper = dict(clip_grad=dict(max_norm=5.0))
custom_hooks = [dict(type='EMAHook', momentum=1e-4, priority='ABOVE_NORMAL')]

# HorNet-T (7x7) on ImageNet-1k at 224x224, the official recipe (ConvNeXt's,
# 32 GPUs x 128): AdamW (lr 4e-3, wd 0.05, no decay on 1-D parameters),
# 20 warm-up epochs, cosine decay over 300 epochs, drop path 0.2, gradient
# clipping at norm 100, EMA of the weights (0.9999), RandAugment m9,
# Mixup 0.8 / CutMix 1.0, label smoothing 0.1, random erasing 0.25; test
# crop ratio 0.875. As in the official classifier the last stage is pooled
# and then layer-normalised (gap_before_final_norm), so no neck.
_base_ = '../../_base_/cls/imagenet_8xb128_adamw-300e.py'

model = dict(
    backbone=dict(
        type='mmcnn.HorNet',
        arch='tiny',
        out_indices=(3, ),
        drop_path_rate=0.2,
        gap_before_final_norm=True),
    neck=None,
    head=dict(in_channels=512))

optim_wrapper = dict(optimizer=dict(lr=4e-3), clip_grad=dict(max_norm=100.0))
auto_scale_lr = dict(base_batch_size=4096)
custom_hooks = [dict(type='EMAHook', momentum=1e-4, priority='ABOVE_NORMAL')]

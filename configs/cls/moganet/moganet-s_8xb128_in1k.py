# MogaNet-S on ImageNet-1k at 224x224, the MogaNet paper's DeiT-style
# recipe: AdamW (lr 1e-3 for a total batch of 1024, wd 0.05, no decay on
# norms and biases), 5 warm-up epochs from 1e-5, cosine decay to 1e-6 over
# 300 epochs, RandAugment (m9, mstd 0.5), Mixup 0.8 / CutMix 1.0, label
# smoothing 0.1, random erasing 0.25, EMA of the weights (decay 0.9999),
# centre crop ratio 0.9 at test time. The shared base gives everything
# but the warm-up, the final lr, the test resize and the EMA.
_base_ = '../../_base_/cls/imagenet_8xb128_adamw-300e.py'

model = dict(
    backbone=dict(
        type='mmcnn.MogaNet',
        arch='small',
        out_indices=(3, ),
        drop_path_rate=0.1),
    head=dict(in_channels=512))

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='ResizeEdge',
        scale=248,
        edge='short',
        backend='pillow',
        interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-2,
        by_epoch=True,
        begin=0,
        end=5,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-6,
        by_epoch=True,
        begin=5,
        end=300,
        convert_to_iter_based=True),
]
custom_hooks = [dict(type='EMAHook', momentum=1e-4, priority='ABOVE_NORMAL')]

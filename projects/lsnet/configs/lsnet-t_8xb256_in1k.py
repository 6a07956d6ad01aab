# LSNet-T on ImageNet-1k at 224x224, the official recipe (THU-MIG/lsnet
# main.py defaults): AdamW, lr 1e-3 per 512 images (4e-3 for 8 x 256), wd
# 0.025 (none on norms, biases and the attention biases), 5 warm-up epochs,
# cosine decay to 1e-5 over 300 epochs, gradient clipping at norm 0.02,
# RandAugment m9, Mixup 0.8 / CutMix 1.0, label smoothing 0.1, random
# erasing 0.25. The official head's BatchNorm1d on the pooled features is
# the backbone's ``norm3`` (``gap_before_final_norm``).
_base_ = '../../../configs/_base_/cls/imagenet_8xb128_adamw-300e_warmup-5e.py'
custom_imports = dict(
    imports=['mmcnn.models', 'mmcnn.engine', 'projects.lsnet.lsnet'],
    allow_failed_imports=False)

model = dict(
    backbone=dict(
        type='mmcnn.LSNet',
        arch='t',
        out_indices=(3, ),
        gap_before_final_norm=True),
    neck=None,
    head=dict(in_channels=384))

train_dataloader = dict(batch_size=256)
optim_wrapper = dict(
    optimizer=dict(lr=4e-3, weight_decay=0.025),
    clip_grad=dict(max_norm=0.02),
    paramwise_cfg=dict(
        custom_keys={'attention_biases': dict(decay_mult=0.)}))
auto_scale_lr = dict(base_batch_size=2048)
# Warm-up from 1e-6 (2.5e-4 of 4e-3), as timm's scheduler in the official run.
param_scheduler = [
    dict(_base_.param_scheduler[0], start_factor=2.5e-4),
    _base_.param_scheduler[1],
]

# ConvFormer-S18 on ImageNet-1k at 224x224, the official recipe (timm, a
# total batch of 4096): AdamW (lr 4e-3, wd 0.05, no decay on 1-D
# parameters), 20 warm-up epochs, cosine decay over 300 epochs, drop path
# 0.2, RandAugment m9, Mixup 0.8 / CutMix 1.0, label smoothing 0.1, random
# erasing 0.25; test crop ratio 1.0. As in the official classifier the
# last stage is pooled and then layer-normalised (gap_before_final_norm);
# the official MLP head (512 -> 2048 -> 1000) is a linear head here.
_base_ = '../../_base_/cls/imagenet_8xb128_adamw-300e.py'

model = dict(
    backbone=dict(
        type='mmcnn.ConvFormer',
        arch='s18',
        out_indices=(3, ),
        drop_path_rate=0.2,
        gap_before_final_norm=True),
    neck=None,
    head=dict(in_channels=512))

test_pipeline = [
    _base_.test_pipeline[0],
    dict(_base_.test_pipeline[1], scale=224),
    *_base_.test_pipeline[2:],
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=4e-3))
auto_scale_lr = dict(base_batch_size=4096)

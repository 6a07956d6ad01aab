# InceptionNeXt-T on ImageNet-1k at 224x224, the official recipe
# (sail-sg/inceptionnext, timm's trainer): AdamW (lr 4e-3 for a total
# batch of 4096, wd 0.05, none on 1-D parameters), 20 warm-up epochs,
# cosine decay over 300 epochs, stochastic depth 0.1, RandAugment, Mixup
# 0.8 / CutMix 1.0, label smoothing 0.1, random erasing 0.25. The official
# classifier is an MLP head (fc 768 -> 2304, GELU, LayerNorm, fc); here a
# linear head on the pooled last stage, as for the other families.
_base_ = '../../_base_/cls/imagenet_8xb128_adamw-300e.py'

model = dict(
    backbone=dict(
        type='mmcnn.InceptionNeXt',
        arch='tiny',
        out_indices=(3, ),
        drop_path_rate=0.1),
    head=dict(in_channels=768))

optim_wrapper = dict(optimizer=dict(lr=4e-3))
auto_scale_lr = dict(base_batch_size=4096)

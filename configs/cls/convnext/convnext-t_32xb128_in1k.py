# ConvNeXt-T on ImageNet-1k at 224x224, the ConvNeXt paper's recipe: AdamW
# (lr 4e-3 for a total batch of 4096, wd 0.05, none on 1-D parameters),
# 20 warm-up epochs, cosine decay to 1e-6 over 300 epochs, stochastic
# depth 0.1, RandAugment (m9, mstd 0.5), Mixup 0.8 / CutMix 1.0, label
# smoothing 0.1, random erasing 0.25, EMA (decay 0.9999). As in the
# official classifier, the final LayerNorm acts on the pooled features.
_base_ = '../../_base_/cls/imagenet_32xb128_adamw-lr4e-3-300e_ema.py'

model = dict(
    backbone=dict(
        type='mmcnn.ConvNeXt',
        arch='tiny',
        out_indices=(3, ),
        drop_path_rate=0.1,
        gap_before_final_norm=True),
    neck=None,
    head=dict(in_channels=768))

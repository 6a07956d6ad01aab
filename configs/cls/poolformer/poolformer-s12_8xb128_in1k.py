# PoolFormer-S12 on ImageNet-1k at 224x224, the official recipe (timm,
# 8 GPUs x 128): AdamW (lr 1e-3, wd 0.05, no decay on 1-D parameters),
# 5 warm-up epochs, cosine decay over 300 epochs, drop path 0.1,
# RandAugment m9, Mixup 0.8 / CutMix 1.0, label smoothing 0.1, random
# erasing 0.25; test crop ratio 0.9 (resize 248, crop 224). The backbone's
# GroupNorm norm3 is the official classifier's norm (classifier_form), and
# precedes the pooling as there.
_base_ = '../../_base_/cls/imagenet_8xb128_adamw-300e_warmup-5e_resize-248.py'

model = dict(
    backbone=dict(
        type='mmcnn.PoolFormer',
        arch='s12',
        out_indices=(3, ),
        drop_path_rate=0.1,
        classifier_form=True),
    head=dict(in_channels=512))

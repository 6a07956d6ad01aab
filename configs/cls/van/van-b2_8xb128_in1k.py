# VAN-B2 on ImageNet-1k at 224x224, the official recipe (timm, 8 GPUs x
# 128): AdamW (lr 1e-3, wd 0.05, no decay on 1-D parameters), 5 warm-up
# epochs, cosine decay over 300 epochs, drop path 0.1, RandAugment m9,
# Mixup 0.8 / CutMix 1.0, label smoothing 0.1, random erasing 0.25; test
# crop ratio 0.875. The backbone's last-stage norm precedes the pooling, as
# in the official classifier.
_base_ = '../../_base_/cls/imagenet_8xb128_adamw-300e_warmup-5e.py'

model = dict(
    backbone=dict(
        type='mmcnn.VAN', arch='b2', out_indices=(3, ), drop_path_rate=0.1),
    head=dict(in_channels=512))

# FocalNet-T (SRF) on ImageNet-1k at 224x224, the official recipe (Swin's,
# 8 GPUs x 128): AdamW (lr 1e-3, wd 0.05, no decay on 1-D parameters),
# 20 warm-up epochs, cosine decay over 300 epochs, drop path 0.2,
# RandAugment m9, Mixup 0.8 / CutMix 1.0, label smoothing 0.1, random
# erasing 0.25; test crop ratio 0.875. The backbone's norm3 is the official
# classifier's norm, applied before pooling (classifier_form, which also
# drops the dense form's input pad).
_base_ = '../../_base_/cls/imagenet_8xb128_adamw-300e.py'

model = dict(
    backbone=dict(
        type='mmcnn.FocalNet',
        arch='tiny-srf',
        out_indices=(3, ),
        drop_path_rate=0.2,
        classifier_form=True),
    head=dict(in_channels=768))

optim_wrapper = dict(clip_grad=dict(max_norm=5.0))

# ConvNeXt V2-T on ImageNet-1k: supervised fine-tuning of the FCMAE
# pre-trained encoder, the official recipe (facebookresearch/ConvNeXt-V2,
# TRAINING.md): 300 epochs at a total batch of 1024, AdamW (lr 8e-4 per
# 256 images, wd 0.05, none on 1-D parameters), 40 warm-up epochs, cosine
# decay, stochastic depth 0.2, RandAugment, Mixup 0.8 / CutMix 1.0, label
# smoothing 0.1, random erasing 0.25, EMA. The official per-block lr decay
# (0.9) is not reproduced: mmcnn's constructors decay per stage group.
_base_ = '../convnext/convnext-t_32xb128_in1k.py'

model = dict(
    backbone=dict(
        type='mmcnn.ConvNeXtV2',
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://dl.fbaipublicfiles.com/convnext/convnextv2/'
            'pt_only/convnextv2_tiny_1k_224_fcmae.pt')))

train_dataloader = dict(batch_size=32)
optim_wrapper = dict(optimizer=dict(lr=8e-4 * 1024 / 256))
param_scheduler = [
    dict(_base_.param_scheduler[0], end=40),
    dict(_base_.param_scheduler[1], begin=40),
]
auto_scale_lr = dict(base_batch_size=1024)

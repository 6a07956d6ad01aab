# UniRepLKNet-T on ImageNet-1k at 224x224, the official recipe
# (AILab-CVC/UniRepLKNet, Image/README.md, ConvNeXt's code base): AdamW
# (lr 4e-3 for a total batch of 4096, wd 0.05, none on 1-D parameters),
# 20 warm-up epochs, cosine decay to 1e-6 over 300 epochs, stochastic
# depth 0.2, RandAugment, Mixup 0.8 / CutMix 1.0, label smoothing 0.1,
# random erasing 0.25, no EMA. As in the official classifier, the final
# LayerNorm acts on the pooled features.
_base_ = '../convnext/convnext-t_32xb128_in1k.py'

model = dict(
    backbone=dict(type='mmcnn.UniRepLKNet', drop_path_rate=0.2),
    head=dict(in_channels=640))
custom_hooks = []

# UperNet with InceptionNeXt-B on ADE20K: InceptionNeXt-T's config with the
# paper's stochastic depth for the base model (0.4).
_base_ = [
    '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py',
    '../../_base_/backbones/inceptionnext-b.py',
]

model = dict(
    backbone=dict(_base_.backbone, _delete_=True),
    decode_head=dict(in_channels=_base_.widths),
    auxiliary_head=dict(in_channels=_base_.widths[2]))

optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'.gamma': dict(decay_mult=0.0)}))

# UperNet with ConvNeXt-S on ADE20K, the official recipe: ConvNeXt-T's with
# stochastic depth 0.3 and the stage-wise lr decay over 12 layers.
_base_ = './convnext-t_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(_base_.convnext_s, _delete_=True, drop_path_rate=0.3),
    decode_head=dict(in_channels=_base_.convnext_s_widths),
    auxiliary_head=dict(in_channels=_base_.convnext_s_widths[2]),
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(341, 341)))

optim_wrapper = dict(
    type='OptimWrapper',
    constructor='mmcnn.StageDecayOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
    paramwise_cfg=dict(_delete_=True, num_layers=12, decay_rate=0.9),
    clip_grad=None)

# UperNet with HorNet-T (7x7) on ADE20K, the official HorNet recipe
# (ConvNeXt's): AdamW (lr 1e-4, wd 0.05, none on 1-D parameters) with
# stage-wise lr decay 0.9 over 6 layers, drop path 0.4, 1500-iteration
# warm-up, poly decay over 160k iterations, 8 GPUs x 2 images; sliding
# window testing (512x512 crops, stride 341).
_base_ = '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.HorNet',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.4,
        init_cfg=dict(
            type='Pretrained', checkpoint='checkpoints/hornet_tiny_7x7.pth')),
    decode_head=dict(in_channels=[64, 128, 256, 512]),
    auxiliary_head=dict(in_channels=256),
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(341, 341)))

optim_wrapper = dict(
    constructor='mmcnn.StageDecayOptimWrapperConstructor',
    optimizer=dict(lr=1e-4, weight_decay=0.05),
    paramwise_cfg=dict(_delete_=True, num_layers=6, decay_rate=0.9))

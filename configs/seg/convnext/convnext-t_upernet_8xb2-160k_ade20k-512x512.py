# UperNet with ConvNeXt-T on ADE20K, the official recipe
# (facebookresearch/ConvNeXt, semantic_segmentation): AdamW (lr 1e-4,
# wd 0.05, none on 1-D parameters and biases), stage-wise lr decay 0.9
# (6 layers), linear warm-up over 1500 iterations multiplying a poly
# (power 1.0) decay over 160k iterations, stochastic depth 0.4, 8 GPUs x 2
# images, sliding-window test with 512x512 crops and stride 341.
_base_ = '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py'

crop_size = (512, 512)
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.ConvNeXt',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.4,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://dl.fbaipublicfiles.com/convnext/'
            'convnext_tiny_1k_224.pth')),
    decode_head=dict(in_channels=[96, 192, 384, 768]),
    auxiliary_head=dict(in_channels=384),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(341, 341)))

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    constructor='mmcnn.StageDecayOptimWrapperConstructor',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(num_layers=6, decay_rate=0.9),
    clip_grad=None)

# SparK pre-training at demo scale: 64x64 crops of the generated images of
# tools/misc/make_demo_data.py (data/demo/coco/train), 2x2 patches of 32
# pixels, 60% masked, mmpretrain's decoder, head and loss. A family config
# adds the backbone as ``dict(type='mmcnn.SparseBackbone', backbone=...)``.
_base_ = ['mmpretrain::_base_/default_runtime.py']
custom_imports = dict(
    imports=[
        'mmcnn.models', 'mmcnn.engine', 'projects.mim_pretrain.mim_pretrain'
    ],
    allow_failed_imports=False)

input_size = 64
model = dict(
    type='mmcnn.ConvNetSparK',
    input_size=input_size,
    downsample_raito=32,
    mask_ratio=0.6,
    # one process on a CPU; SparseSyncBatchNorm2d on several GPUs
    enc_dec_norm_cfg=dict(type='SparseBatchNorm2d'),
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    neck=dict(
        type='SparKLightDecoder',
        feature_dim=128,
        upsample_ratio=32,
        mid_channels=0,
        last_act=False),
    head=dict(
        type='SparKPretrainHead',
        patch_size=32,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')))

train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='CustomDataset',
        data_root='data/demo/coco/train',
        with_label=False,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(
                type='RandomResizedCrop',
                scale=input_size,
                crop_ratio_range=(0.5, 1.0),
                backend='pillow',
                interpolation='bicubic'),
            dict(type='RandomFlip', prob=0.5),
            dict(type='PackInputs')
        ]))

optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=1e-3, betas=(0.9, 0.95), weight_decay=0.04),
    clip_grad=dict(max_norm=5.0),
    paramwise_cfg=dict(
        bias_decay_mult=0.0,
        flat_decay_mult=0.0,
        custom_keys={'mask_token': dict(decay_mult=0.)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=20, end=200)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=200)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(
        type='CheckpointHook', interval=200, by_epoch=False,
        max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)

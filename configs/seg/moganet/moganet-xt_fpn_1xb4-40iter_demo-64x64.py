# Semantic FPN with MogaNet-XT trained from scratch on the synthetic
# ADE20K-style demo set of tools/misc/make_demo_data.py (4 classes, label 0
# = other/ignore), with the images scaled to 64x64 so that it trains on
# a CPU in a few minutes; the validation mIoU rises from evaluation to
# evaluation within the run.
_base_ = './moganet-xt_fpn_8xb4-80k_ade20k-512x512.py'

data_root = 'data/demo/ade'
metainfo = dict(
    classes=('sky', 'grass', 'sand', 'water'),
    palette=[[130, 190, 235], [50, 150, 40], [215, 185, 120], [20, 70, 150]])
crop_size = (64, 64)
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(drop_path_rate=0.0, init_cfg=None),
    decode_head=dict(num_classes=4, norm_cfg=norm_cfg))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(
        type='RandomResize',
        scale=crop_size,
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs')
]
dataset = dict(
    type='BaseSegDataset',
    data_root=data_root,
    metainfo=metainfo,
    img_suffix='.jpg',
    seg_map_suffix='.png',
    reduce_zero_label=True)
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    dataset=dict(
        _delete_=True,
        data_prefix=dict(
            img_path='images/training', seg_map_path='annotations/training'),
        pipeline=train_pipeline,
        **dataset))
# The train loader on the validation split, with the test pipeline.
val_dataloader = dict(
    train_dataloader,
    num_workers=1,
    dataset=dict(
        train_dataloader['dataset'],
        data_prefix=dict(
            img_path='images/validation',
            seg_map_path='annotations/validation'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [dict(_base_.param_scheduler[0], end=40)]
train_cfg = dict(max_iters=40, val_interval=10)
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(interval=40, max_keep_ckpts=1, save_best=None))
randomness = dict(seed=0)

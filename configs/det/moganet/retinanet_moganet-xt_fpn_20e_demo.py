# MogaNet-XT RetinaNet trained from scratch on the synthetic shapes set of
# tools/misc/make_demo_data.py (48 train / 16 val images of 320x256, three
# classes), sized for `make demo` on a 2-core CPU: half-size images, FPN
# and head 128 channels wide, AdamW at 1.5e-3 with gradient clipping.
_base_ = './retinanet_moganet-xt_fpn_1x_coco.py'

data_root = 'data/demo/coco/'
metainfo = dict(
    classes=('circle', 'square', 'triangle'),
    palette=[(220, 40, 40), (40, 190, 40), (40, 70, 210)])
img_scale = (160, 128)
max_epochs = 20
val_interval = 4

model = dict(
    backbone=dict(drop_path_rate=0., init_cfg=None),
    neck=dict(out_channels=128),
    bbox_head=dict(num_classes=3, in_channels=128, feat_channels=128))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        pipeline=train_pipeline))
# The train loader on the val split, with the test pipeline.
val_dataloader = dict(
    train_dataloader,
    dataset=dict(
        train_dataloader['dataset'],
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator

train_cfg = dict(max_epochs=max_epochs, val_interval=val_interval)
optim_wrapper = dict(
    optimizer=dict(lr=1.5e-3), clip_grad=dict(max_norm=10, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=48),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs,
         eta_min=1e-5)
]
default_hooks = dict(
    logger=dict(interval=6),
    checkpoint=dict(interval=val_interval, max_keep_ckpts=1))
log_processor = dict(window_size=6)
randomness = dict(seed=0)

# Top-down heatmap pose with MogaNet-XT trained from scratch on the
# synthetic COCO-keypoints demo set of tools/misc/make_demo_data.py (stick
# figures with the 17 COCO keypoints), at 96x64 inputs so that it trains
# on a CPU in a few minutes; the keypoint AP rises from evaluation to
# evaluation within the run.
_base_ = './td-hm_moganet-xt_8xb32-210e_coco-256x192.py'

data_root = 'data/demo/coco_kpt/'
codec = dict(
    type='MSRAHeatmap', input_size=(64, 96), heatmap_size=(16, 24), sigma=2)
model = dict(
    backbone=dict(drop_path_rate=0.0, init_cfg=None),
    head=dict(decoder=codec))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomHalfBody'),
    dict(type='RandomBBoxTransform'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/person_keypoints_train.json',
        data_prefix=dict(img='train/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/person_keypoints_val.json',
        bbox_file=data_root + 'person_detection_results/val_det.json',
        data_prefix=dict(img='val/'),
        pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    ann_file=data_root + 'annotations/person_keypoints_val.json')
test_evaluator = val_evaluator

train_cfg = dict(max_epochs=10, val_interval=5)
param_scheduler = [
    dict(
        type='LinearLR', begin=0, end=50, start_factor=0.001,
        by_epoch=False)
]
default_hooks = dict(
    logger=dict(interval=9),
    checkpoint=dict(interval=10, max_keep_ckpts=1, save_best=None))
randomness = dict(seed=0)

# Semantic FPN on ADE20K with a modern backbone (PVT / PoolFormer recipe as
# used for MogaNet): AdamW (lr 2e-4, wd 1e-4), poly decay (power 0.9) over
# 80k iterations, 8 GPUs x 4 images, 512x512 crops. A family config
# replaces the backbone (``_delete_=True``) and sets the neck widths.
_base_ = [
    'mmseg::_base_/models/fpn_r50.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
]
custom_imports = dict(
    imports=['mmcnn.models', 'mmcnn.engine'], allow_failed_imports=False)

crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,
    decode_head=dict(num_classes=150))

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4),
    clip_grad=None)
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=80000,
        by_epoch=False)
]
train_cfg = dict(val_interval=4000)
default_hooks = dict(
    checkpoint=dict(
        type='mmcnn.CheckpointHook',
        interval=4000,
        max_keep_ckpts=1,
        save_best='mIoU'))
auto_scale_lr = dict(enable=False, base_batch_size=32)

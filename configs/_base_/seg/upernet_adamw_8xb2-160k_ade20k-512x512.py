# UperNet on ADE20K with a modern backbone, the Swin Transformer recipe most
# of the papers follow: AdamW (lr 6e-5, wd 0.01, no decay on norms nor on
# what the backbone family's rule exempts, e.g. layer scales), linear
# warm-up over 1500 iterations from 1e-6 of the lr multiplying a poly
# (power 1.0) decay over 160k iterations, 8 GPUs x 2 images, 512x512 crops.
# A family config replaces the backbone (``_delete_=True``) and sets the
# head widths.
_base_ = [
    'mmseg::_base_/models/upernet_r50.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_160k.py',
]
custom_imports = dict(
    imports=['mmcnn.models', 'mmcnn.engine'], allow_failed_imports=False)

crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,
    decode_head=dict(num_classes=150),
    auxiliary_head=dict(num_classes=150))

train_dataloader = dict(batch_size=2)

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    constructor='mmcnn.FamilyOptimWrapperConstructor',
    optimizer=dict(
        type='AdamW', lr=6e-5, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys={'norm': dict(decay_mult=0.0)}),
    clip_grad=None)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(
        type='PolyLR',
        power=1.0,
        eta_min=0.0,
        begin=0,
        end=160000,
        by_epoch=False)
]
default_hooks = dict(
    checkpoint=dict(type='mmcnn.CheckpointHook', save_best='mIoU'))
auto_scale_lr = dict(enable=False, base_batch_size=16)

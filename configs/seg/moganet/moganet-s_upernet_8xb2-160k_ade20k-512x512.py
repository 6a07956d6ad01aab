# UperNet with MogaNet-S on ADE20K, the MogaNet paper's recipe: AdamW
# (lr 1e-4, wd 0.01, no decay on norms, layer scales and element scales),
# linear warm-up over 1500 iterations from 1e-6 of the lr, poly decay
# (power 1.0) over 160k iterations, 8 GPUs x 2 images, 512x512 crops.
_base_ = [
    'mmseg::_base_/models/upernet_r50.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_160k.py',
]
custom_imports = dict(imports=['mmcnn.models'], allow_failed_imports=False)

crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='mmcnn.MogaNet',
        arch='small',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/'
            'moganet_small_sz224_8xbs128_ep300.pth.tar')),
    decode_head=dict(in_channels=[64, 128, 320, 512], num_classes=150),
    auxiliary_head=dict(in_channels=320, num_classes=150))

train_dataloader = dict(batch_size=2)

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(
        custom_keys={
            'norm': dict(decay_mult=0.0),
            'layer_scale': dict(decay_mult=0.0),
            'sigma.scale': dict(decay_mult=0.0),
        }),
    clip_grad=None)
# The poly decay runs from iteration 0 and the warm-up multiplies it, as
# in mmcv 1.x's poly policy with linear warm-up used by the paper.
param_scheduler = [
    dict(
        type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
        end=1500),
    dict(
        type='PolyLR',
        power=1.0,
        eta_min=0.0,
        begin=0,
        end=160000,
        by_epoch=False)
]
default_hooks = dict(checkpoint=dict(save_best='mIoU'))
auto_scale_lr = dict(enable=False, base_batch_size=16)

# The ConvNeXt paper's ImageNet-1k recipe on the shared base: lr 4e-3 for
# a total batch of 4096, 20 warm-up epochs, cosine decay to 1e-6 over 300
# epochs, EMA of the weights (decay 0.9999).
_base_ = './imagenet_8xb128_adamw-300e.py'

optim_wrapper = dict(optimizer=dict(lr=4e-3))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        end=20,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-6,
        by_epoch=True,
        begin=20,
        end=300,
        convert_to_iter_based=True),
]
auto_scale_lr = dict(base_batch_size=4096)
custom_hooks = [dict(type='EMAHook', momentum=1e-4, priority='ABOVE_NORMAL')]

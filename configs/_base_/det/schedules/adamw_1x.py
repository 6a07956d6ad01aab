# mmdet's 1x schedule (12 epochs, lr x0.1 after epochs 8 and 11, linear
# warm-up over 500 iterations from 0.001) with AdamW for modern ConvNets:
# weight decay 0.05, none on norm layers nor on the parameters the backbone
# family's rule exempts (its class's ``paramwise_cfg``, e.g. ConvNeXt's
# layer scales; mmcnn.FamilyOptimWrapperConstructor). Total batch 16
# (8 GPUs x 2).
_base_ = 'mmdet::_base_/schedules/schedule_1x.py'

optim_wrapper = dict(
    constructor='mmcnn.FamilyOptimWrapperConstructor',
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=1e-4,
        betas=(0.9, 0.999),
        weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.))
auto_scale_lr = dict(base_batch_size=16)

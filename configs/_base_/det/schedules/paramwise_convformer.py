# ConvFormer's parameter-wise AdamW setting, shared by its RetinaNet, Mask
# R-CNN, Cascade Mask R-CNN and UperNet configs through
# ``optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)``: no weight
# decay on norms, residual scales and StarReLU scales / biases.
paramwise_cfg = dict(
    custom_keys={
        'norm': dict(decay_mult=0.),
        'res_scale': dict(decay_mult=0.),
        '.act': dict(decay_mult=0.)
    })

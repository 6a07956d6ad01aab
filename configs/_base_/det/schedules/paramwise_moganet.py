# MogaNet's parameter-wise AdamW setting, shared by its RetinaNet, Mask
# R-CNN, Cascade Mask R-CNN and UperNet configs through
# ``optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)``: no weight
# decay on the layer scales and element scales, besides the norms the
# optimiser base exempts. The B / L Cascade configs use layer-wise lr
# decay instead.
paramwise_cfg = dict(
    custom_keys={
        'layer_scale': dict(decay_mult=0.),
        'sigma.scale': dict(decay_mult=0.)
    })

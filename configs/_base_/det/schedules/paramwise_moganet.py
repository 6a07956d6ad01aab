# MogaNet's parameter-wise AdamW setting for detection, shared by its
# RetinaNet, Mask R-CNN and Cascade Mask R-CNN configs through
# ``optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)``: no weight
# decay on the layer scales and element scales, besides the norms
# adamw_1x.py exempts. The B / L Cascade configs use layer-wise lr decay
# instead.
paramwise_cfg = dict(
    custom_keys={
        'layer_scale': dict(decay_mult=0.),
        'sigma.scale': dict(decay_mult=0.)
    })

# UniRepLKNet's parameter-wise AdamW setting for detection (MogaNet's
# recipe), shared by its RetinaNet and Mask R-CNN 1x configs through
# ``optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)``: no weight
# decay on the layer scales and GRN, besides the norms adamw_1x.py exempts.
# The official Cascade recipe uses layer-wise lr decay instead.
paramwise_cfg = dict(custom_keys={
    '.gamma': dict(decay_mult=0.),
    '.beta': dict(decay_mult=0.)
})

# InternImage's parameter-wise AdamW setting for detection (the official
# one), shared by its RetinaNet, Mask R-CNN and Cascade Mask R-CNN configs
# through ``optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)``: no
# weight decay on norms, biases and other 1-D parameters.
paramwise_cfg = dict(
    norm_decay_mult=0., bias_decay_mult=0., flat_decay_mult=0.)

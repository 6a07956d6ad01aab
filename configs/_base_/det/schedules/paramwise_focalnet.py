# FocalNet's parameter-wise AdamW setting for detection (Swin's), shared by
# its RetinaNet, Mask R-CNN and Cascade Mask R-CNN configs through
# ``optim_wrapper = dict(paramwise_cfg=_base_.paramwise_cfg)``: no weight
# decay on norms.
paramwise_cfg = dict(custom_keys={'norm': dict(decay_mult=0.)})

# UperNet on ADE20K as in the shared base, with the InternImage and
# UniRepLKNet optimiser: AdamW weight decay 0.05, none on norms, biases and
# other 1-D parameters.
_base_ = './upernet_adamw_8xb2-160k_ade20k-512x512.py'

optim_wrapper = dict(
    optimizer=dict(weight_decay=0.05),
    paramwise_cfg=dict(
        _delete_=True,
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        flat_decay_mult=0.0))

# UperNet with UniRepLKNet-T on ADE20K, the official recipe
# (AILab-CVC/UniRepLKNet, segmentation/configs): AdamW (lr 1e-4, wd 0.05,
# none on 1-D parameters and biases; the authors' layer-wise decay rate is
# 1, i.e. none), linear warm-up over 1500 iterations multiplying a poly
# (power 1.0) decay over 160k iterations, stochastic depth 0.2, SyncBN,
# 8 GPUs x 2 images, whole-image test.
_base_ = [
    '../../_base_/seg/upernet_adamw-1d-no-decay_8xb2-160k_ade20k-512x512.py',
    '../../_base_/backbones/unireplknet.py',
]

model = dict(
    backbone=dict(
        _base_.unireplknet_t_syncbn, _delete_=True, drop_path_rate=0.2),
    decode_head=dict(in_channels=_base_.unireplknet_t_widths),
    auxiliary_head=dict(in_channels=_base_.unireplknet_t_widths[2]))

optim_wrapper = dict(optimizer=dict(lr=1e-4))

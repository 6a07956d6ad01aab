# UperNet with UniRepLKNet-T on ADE20K, the official recipe
# (AILab-CVC/UniRepLKNet, segmentation/configs): AdamW (lr 1e-4, wd 0.05,
# none on 1-D parameters and biases; the authors' layer-wise decay rate is
# 1, i.e. none), linear warm-up over 1500 iterations multiplying a poly
# (power 1.0) decay over 160k iterations, stochastic depth 0.2, SyncBN,
# 8 GPUs x 2 images, whole-image test.
_base_ = '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.UniRepLKNet',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.2,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://huggingface.co/DingXiaoH/UniRepLKNet/resolve/main/unireplknet_t_in1k_224_acc83.21.pth')),
    decode_head=dict(in_channels=[80, 160, 320, 640]),
    auxiliary_head=dict(in_channels=320))

optim_wrapper = dict(
    optimizer=dict(lr=1e-4, weight_decay=0.05),
    paramwise_cfg=dict(
        _delete_=True,
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        flat_decay_mult=0.))

# UperNet with InceptionNeXt-T on ADE20K: the shared Swin-style UperNet
# recipe (AdamW lr 6e-5, wd 0.01, no decay on norms, 1500-iteration
# warm-up, poly decay over 160k iterations, 8 GPUs x 2 images) with the
# paper's stochastic depth for the tiny model (0.2); layer scales are kept
# free of weight decay too.
_base_ = '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.InceptionNeXt',
        arch='tiny',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/sail-sg/inceptionnext/releases/'
            'download/model/inceptionnext_tiny.pth')),
    decode_head=dict(in_channels=[96, 192, 384, 768]),
    auxiliary_head=dict(in_channels=384))

optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'.gamma': dict(decay_mult=0.)}))

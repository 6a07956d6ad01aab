# UperNet with PoolFormer-S12 on ADE20K (no published result): the Swin
# recipe, AdamW (lr 6e-5, wd 0.01, no decay on norms and layer scales),
# drop path 0.1, 1500-iteration warm-up, poly decay over 160k iterations,
# 8 GPUs x 2 images.
_base_ = '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.PoolFormer',
        arch='s12',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/sail-sg/poolformer/releases/'
            'download/v1.0/poolformer_s12.pth.tar')),
    decode_head=dict(in_channels=[64, 128, 320, 512]),
    auxiliary_head=dict(in_channels=320))

optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={
        'norm': dict(decay_mult=0.0),
        'layer_scale': dict(decay_mult=0.0)
    }))

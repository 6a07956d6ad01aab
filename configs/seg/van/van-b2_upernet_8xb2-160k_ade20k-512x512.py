# UperNet with VAN-B2 on ADE20K, the VAN paper's Swin-style recipe: AdamW
# (lr 6e-5, wd 0.01, no decay on norms and layer scales), 1500-iteration
# warm-up, poly decay over 160k iterations, 8 GPUs x 2 images.
_base_ = '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.VAN',
        arch='b2',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained', checkpoint='https://huggingface.co/'
                               'Visual-Attention-Network/VAN-Base-original/'
                               'resolve/main/van_base_828.pth.tar')),
    decode_head=dict(in_channels=[64, 128, 320, 512]),
    auxiliary_head=dict(in_channels=320))

optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={
        'norm': dict(decay_mult=0.0),
        'layer_scale': dict(decay_mult=0.0)
    }))

# UperNet with ConvFormer-S18 on ADE20K (no published result): the Swin
# recipe, AdamW (lr 6e-5, wd 0.01, no decay on norms, residual scales and
# StarReLU scales / biases), drop path 0.1, 1500-iteration warm-up, poly
# decay over 160k iterations, 8 GPUs x 2 images.
_base_ = '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.ConvFormer',
        arch='s18',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', checkpoint='https://huggingface.co/sail/dl/'
                               'resolve/main/convformer/convformer_s18.pth')),
    decode_head=dict(in_channels=[64, 128, 320, 512]),
    auxiliary_head=dict(in_channels=320))

optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            'norm': dict(decay_mult=0.0),
            'res_scale': dict(decay_mult=0.0),
            '.act': dict(decay_mult=0.0)
        }))

# UperNet with MogaNet-S on ADE20K, the MogaNet paper's recipe: AdamW
# (lr 1e-4, wd 0.01, no decay on norms, layer scales and element scales),
# linear warm-up over 1500 iterations from 1e-6 of the lr multiplying a
# poly (power 1.0) decay over 160k iterations, as in mmcv 1.x's poly policy
# with linear warm-up used by the paper, 8 GPUs x 2 images, 512x512 crops.
# It differs from the shared base only in the lr and the no-decay keys.
_base_ = '../../_base_/seg/upernet_adamw_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.MogaNet',
        arch='small',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/Westlake-AI/MogaNet/releases/'
            'download/moganet-in1k-weights/'
            'moganet_small_sz224_8xbs128_ep300.pth.tar')),
    decode_head=dict(in_channels=[64, 128, 320, 512]),
    auxiliary_head=dict(in_channels=320))

optim_wrapper = dict(
    optimizer=dict(lr=1e-4),
    paramwise_cfg=dict(
        custom_keys={
            'layer_scale': dict(decay_mult=0.0),
            'sigma.scale': dict(decay_mult=0.0),
        }))

_base_ = './focalnet-t-srf_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        arch='small-srf',
        init_cfg=dict(checkpoint='checkpoints/focalnet_small_srf.pth')))

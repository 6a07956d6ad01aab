# UperNet with UniRepLKNet-S on ADE20K, the official recipe: UniRepLKNet-T's
# with stochastic depth 0.3 and layer-wise lr decay 0.9 over 12 layers.
_base_ = './unireplknet-t_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.3,
        init_cfg=dict(
            checkpoint='https://huggingface.co/DingXiaoH/UniRepLKNet/resolve/main/unireplknet_s_in1k_224_acc83.91.pth')),
    decode_head=dict(in_channels=[96, 192, 384, 768]),
    auxiliary_head=dict(in_channels=384))

optim_wrapper = dict(
    constructor='mmcnn.LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(_delete_=True, num_layers=12, decay_rate=0.9))

# UperNet with UniRepLKNet-S on ADE20K, the official recipe: UniRepLKNet-T's
# with stochastic depth 0.3 and layer-wise lr decay 0.9 over 12 layers.
_base_ = './unireplknet-t_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _base_.unireplknet_s_syncbn, _delete_=True, drop_path_rate=0.3),
    decode_head=dict(in_channels=_base_.unireplknet_s_widths),
    auxiliary_head=dict(in_channels=_base_.unireplknet_s_widths[2]))

optim_wrapper = dict(
    paramwise_cfg=dict(_delete_=True, num_layers=12, decay_rate=0.9),
    constructor='mmcnn.LayerDecayOptimWrapperConstructor')

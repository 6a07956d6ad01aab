# UperNet with OverLoCK-S on ADE20K, the official recipe: OverLoCK-T's
# with stochastic depth 0.3.
_base_ = './overlock-t_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _base_.overlock_s,
        _delete_=True,
        context_fusion=False,
        drop_path_rate=0.3),
    decode_head=dict(in_channels=_base_.overlock_s_widths),
    auxiliary_head=dict(in_channels=_base_.overlock_s_widths[2]))

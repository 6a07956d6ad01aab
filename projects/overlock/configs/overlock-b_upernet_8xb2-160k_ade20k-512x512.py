# UperNet with OverLoCK-B on ADE20K, the official recipe: OverLoCK-T's
# with stochastic depth 0.5.
_base_ = './overlock-t_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(
        _base_.overlock_b,
        _delete_=True,
        context_fusion=False,
        drop_path_rate=0.5),
    decode_head=dict(in_channels=_base_.overlock_b_widths),
    auxiliary_head=dict(in_channels=_base_.overlock_b_widths[2]))

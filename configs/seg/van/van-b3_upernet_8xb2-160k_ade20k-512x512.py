_base_ = './van-b2_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(_base_.van_b3, _delete_=True, drop_path_rate=0.3),
    decode_head=dict(in_channels=_base_.van_b3_widths),
    auxiliary_head=dict(in_channels=_base_.van_b3_widths[2]))

# RetinaNet 1x with VAN-B2, the VAN paper's COCO recipe (PVT / PoolFormer
# schedule): AdamW (lr 1e-4, wd 0.05, none on norms and layer scales),
# 12 epochs, 8 GPUs x 2 images, single-scale 1333x800 training.
_base_ = './retinanet_van-b0_fpn_1x_coco.py'

model = dict(
    backbone=dict(_base_.van_b2, _delete_=True, drop_path_rate=0.1),
    neck=dict(in_channels=_base_.van_b2_widths))

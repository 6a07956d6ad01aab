# RepLKNet-31B Cascade Mask R-CNN 3x, the official recipe
# (DingXiaoH/RepLKNet-pytorch, detection/configs): 4conv1fc box heads with
# a GIoU loss, multi-scale crop training, AdamW (lr 4e-4, wd 0.05, none on
# norms), stochastic depth 0.6, SyncBN, 8 GPUs x 1 image.
_base_ = [
    '../../_base_/det/cascade-mask-rcnn_fpn_ms-crop-3x_coco.py',
    '../../_base_/backbones/replknet.py',
]

model = dict(
    backbone=dict(
        _base_.replknet_31b_syncbn, _delete_=True, drop_path_rate=0.6),
    neck=dict(in_channels=_base_.replknet_31b_widths))

train_dataloader = dict(batch_size=1)

optim_wrapper = dict(optimizer=dict(lr=4e-4))

auto_scale_lr = dict(base_batch_size=8)

# FocalNet-T (SRF) Mask R-CNN with the official 3x recipe: drop path 0.3,
# 36 epochs (lr x0.1 after epochs 27 and 33), otherwise as the 1x config.
_base_ = './mask-rcnn_focalnet-t-srf_fpn_1x_coco.py'

model = dict(backbone=dict(drop_path_rate=0.3))

train_cfg = dict(max_epochs=36)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=36,
        by_epoch=True,
        milestones=[27, 33],
        gamma=0.1)
]

# RepLKNet-31B Mask R-CNN 1x. The RepLKNet paper has no Mask R-CNN result,
# so the optimiser follows the MogaNet config of the same size (MogaNet-L):
# AdamW (lr 1e-4, wd 0.05), no weight decay on norms; SyncBN in the
# backbone as in the official dense-prediction models.
_base_ = [
    '../../_base_/det/mask-rcnn_fpn_1x_coco.py',
    '../../_base_/backbones/replknet.py',
]

model = dict(
    backbone=dict(_base_.replknet_31b_syncbn, _delete_=True),
    neck=dict(in_channels=_base_.replknet_31b_widths))

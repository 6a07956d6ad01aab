# UniRepLKNet-T Mask R-CNN 1x. The UniRepLKNet paper has no Mask R-CNN
# result, so the optimiser follows the MogaNet config of the same size
# (MogaNet-S): AdamW (lr 2e-4, wd 0.05), no weight decay on norms, layer
# scales and GRN; SyncBN in the backbone as in the official
# dense-prediction models.
_base_ = [
    '../../_base_/det/mask-rcnn_fpn_1x_coco.py',
    '../../_base_/backbones/unireplknet.py',
]

model = dict(
    backbone=dict(_base_.unireplknet_t_syncbn, _delete_=True),
    neck=dict(in_channels=_base_.unireplknet_t_widths))

optim_wrapper = dict(optimizer=dict(lr=2e-4))

_base_ = './cascade-mask-rcnn_moganet-s_fpn_4conv1fc-giou_ms-crop-3x_coco.py'

model = dict(
    backbone=dict(_base_.moganet_b, _delete_=True),
    neck=dict(in_channels=_base_.moganet_b_widths))

# Layer-wise lr decay: 0.8 per layer over 12 backbone layers.
optim_wrapper = dict(
    optimizer=dict(lr=1e-4),
    paramwise_cfg=dict(_delete_=True, num_layers=12, decay_rate=0.8),
    constructor='mmcnn.LayerDecayOptimWrapperConstructor')

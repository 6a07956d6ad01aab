# Cascade Mask R-CNN as in cascade-mask-rcnn_fpn_ms-crop-3x_coco.py with the
# ConvNeXt paper's optimiser (facebookresearch/ConvNeXt, object_detection),
# which ConvNeXt V2, HorNet and SLaK follow: AdamW (lr 2e-4, wd 0.05, none
# on 1-D parameters and biases) with layer-wise lr decay 0.7 over 6 layers
# (a config sets ``num_layers`` / ``decay_rate`` for deeper variants). A
# family config adds its backbone fragment and widths.
_base_ = './cascade-mask-rcnn_fpn_ms-crop-3x_coco.py'

optim_wrapper = dict(
    optimizer=dict(lr=2e-4),
    paramwise_cfg=dict(_delete_=True, num_layers=6, decay_rate=0.7),
    constructor='mmcnn.LayerDecayOptimWrapperConstructor')

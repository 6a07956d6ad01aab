# RetinaNet with LSNet-T on COCO, 1x: the official configs
# (detection/configs/retinanet_lsnet_t_fpn_1x_coco.py): every stage (strides
# 8-64) into an FPN from level 0 with one extra conv on the last input
# (strides 8-128, the anchors'), AdamW lr 1e-4, wd 0.05 (none on the
# attention biases), 500 linear warm-up iterations, steps at epochs 8, 11.
_base_ = [
    '../../../configs/_base_/det/retinanet_fpn_1x_coco.py',
    './_base_/lsnet.py',
]
custom_imports = dict(
    imports=['mmcnn.models', 'mmcnn.engine', 'projects.lsnet.lsnet'],
    allow_failed_imports=False)

model = dict(
    backbone=dict(_base_.lsnet_t, _delete_=True),
    neck=dict(
        in_channels=_base_.lsnet_t_widths,
        start_level=0,
        add_extra_convs='on_input',
        num_outs=5))

optim_wrapper = dict(
    paramwise_cfg=dict(
        _delete_=True,
        custom_keys={'attention_biases': dict(decay_mult=0.)}))

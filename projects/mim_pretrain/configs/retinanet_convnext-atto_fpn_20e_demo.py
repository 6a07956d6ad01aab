# The demo detector of `make demo` (configs/det/moganet/
# retinanet_moganet-xt_fpn_20e_demo.py: the synthetic shapes set, 20 epochs)
# on ConvNeXt-atto, the size spark_convnext-atto_demo.py pre-trains; from
# scratch unless model.backbone.init_cfg points at a pre-trained checkpoint.
_base_ = [
    '../../../configs/det/moganet/retinanet_moganet-xt_fpn_20e_demo.py',
    '../../../configs/_base_/backbones/convnext-t.py',
]

model = dict(
    backbone=dict(
        _base_.convnext_t,
        _delete_=True,
        arch='atto',
        drop_path_rate=0.,
        init_cfg=None),
    neck=dict(in_channels=[40, 80, 160, 320]))

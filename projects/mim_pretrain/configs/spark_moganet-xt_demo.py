# SparK pre-training of moganet (xt) on the demo images.
_base_ = [
    './spark_demo_runtime.py',
    '../../../configs/_base_/backbones/moganet-xt.py',
]

model = dict(
    backbone=dict(
        type='mmcnn.SparseBackbone',
        backbone=dict(
            _base_.moganet_xt,
            init_cfg=None,
            drop_path_rate=0.)))

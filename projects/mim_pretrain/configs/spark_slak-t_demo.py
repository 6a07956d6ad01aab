# SparK pre-training of slak (t) on the demo images.
_base_ = [
    './spark_demo_runtime.py',
    '../../../configs/_base_/backbones/slak-t.py',
]

model = dict(
    backbone=dict(
        type='mmcnn.SparseBackbone',
        backbone=dict(
            _base_.slak_t,
            init_cfg=None,
            drop_path_rate=0.)))

# SparK pre-training of replknet (31b) on the demo images.
_base_ = [
    './spark_demo_runtime.py',
    '../../../configs/_base_/backbones/replknet-31b.py',
]

model = dict(
    backbone=dict(
        type='mmcnn.SparseBackbone',
        backbone=dict(
            _base_.replknet_31b,
            init_cfg=None,
            drop_path_rate=0.)))

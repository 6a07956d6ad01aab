# SparK pre-training of van (b0) on the demo images.
_base_ = [
    './spark_demo_runtime.py',
    '../../../configs/_base_/backbones/van-b0.py',
]

model = dict(
    backbone=dict(
        type='mmcnn.SparseBackbone',
        backbone=dict(
            _base_.van_b0,
            init_cfg=None,
            drop_path_rate=0.)))

# SparK pre-training of poolformer (s12) on the demo images.
_base_ = [
    './spark_demo_runtime.py',
    '../../../configs/_base_/backbones/poolformer-s12.py',
]

model = dict(
    backbone=dict(
        type='mmcnn.SparseBackbone',
        backbone=dict(
            _base_.poolformer_s12,
            init_cfg=None,
            drop_path_rate=0.)))

# SparK pre-training of convformer (s18) on the demo images.
_base_ = [
    './spark_demo_runtime.py',
    '../../../configs/_base_/backbones/convformer-s18.py',
]

model = dict(
    backbone=dict(
        type='mmcnn.SparseBackbone',
        backbone=dict(
            _base_.convformer_s18,
            init_cfg=None,
            drop_path_rate=0.)))

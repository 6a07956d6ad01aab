# SparK pre-training of internimage (t) on the demo images.
_base_ = [
    './spark_demo_runtime.py',
    '../../../configs/_base_/backbones/internimage-t.py',
]

model = dict(
    backbone=dict(
        type='mmcnn.SparseBackbone',
        backbone=dict(
            _base_.internimage_t,
            init_cfg=None,
            drop_path_rate=0.)))

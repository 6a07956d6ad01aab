# SparK pre-training of unireplknet (t) on the demo images.
_base_ = [
    './spark_demo_runtime.py',
    '../../../configs/_base_/backbones/unireplknet-t.py',
]

model = dict(
    backbone=dict(
        type='mmcnn.SparseBackbone',
        backbone=dict(
            _base_.unireplknet_t,
            init_cfg=None,
            drop_path_rate=0.)))

# SparK pre-training of hornet (t) on the demo images.
_base_ = [
    './spark_demo_runtime.py',
    '../../../configs/_base_/backbones/hornet-t.py',
]

model = dict(
    backbone=dict(
        type='mmcnn.SparseBackbone',
        backbone=dict(
            _base_.hornet_t,
            init_cfg=None,
            drop_path_rate=0.)))

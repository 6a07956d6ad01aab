# SparK pre-training of convnext (atto) on the demo images (atto, the
# smallest size, at demo scale; the det config's backbone is convnext-t:
# fine-tune with its arch set to 'atto').
_base_ = [
    './spark_demo_runtime.py',
    '../../../configs/_base_/backbones/convnext-t.py',
]

model = dict(
    backbone=dict(
        type='mmcnn.SparseBackbone',
        backbone=dict(
            _base_.convnext_t,
            init_cfg=None,
            drop_path_rate=0.,
            arch='atto')))

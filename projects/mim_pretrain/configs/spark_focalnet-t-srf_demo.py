# SparK pre-training of focalnet (t-srf) on the demo images, with the
# det config's focal windows (9, 9, 9, 9), so the checkpoint's kernels fit.
_base_ = [
    './spark_demo_runtime.py',
    '../../../configs/_base_/backbones/focalnet-t-srf.py',
]

model = dict(
    backbone=dict(
        type='mmcnn.SparseBackbone',
        backbone=dict(
            _base_.focalnet_t_srf,
            init_cfg=None,
            drop_path_rate=0.,
            focal_windows=(9, 9, 9, 9))))

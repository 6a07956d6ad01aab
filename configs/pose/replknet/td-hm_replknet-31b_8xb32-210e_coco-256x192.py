# Top-down heatmap pose estimation with RepLKNet-31B on COCO (SimpleBaseline
# head on the last stage). The RepLKNet paper has no pose result; the
# recipe is the MogaNet one with MogaNet-B's stochastic depth.
_base_ = '../../_base_/pose/td-hm_8xb32-210e_coco-256x192.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.RepLKNet',
        arch='31b',
        out_indices=(3, ),
        drop_path_rate=0.3,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/RepLKNet-31B_ImageNet-1K_224.pth')),
    head=dict(in_channels=1024))

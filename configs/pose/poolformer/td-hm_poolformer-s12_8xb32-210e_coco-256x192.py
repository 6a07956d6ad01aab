# Top-down heatmap pose estimation with PoolFormer-S12 on COCO (no
# published result): the MogaNet recipe, SimpleBaseline head on the last
# stage, Adam (lr 1e-3), 210 epochs, 8 GPUs x 32 instances.
_base_ = '../../_base_/pose/td-hm_8xb32-210e_coco-256x192.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.PoolFormer',
        arch='s12',
        out_indices=(3, ),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/sail-sg/poolformer/releases/'
            'download/v1.0/poolformer_s12.pth.tar')),
    head=dict(in_channels=512))

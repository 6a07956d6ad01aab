# Top-down heatmap pose estimation with ConvFormer-S18 on COCO (no
# published result): the MogaNet-S recipe, SimpleBaseline head on the last
# stage, Adam (lr 1e-3), drop path 0.2, 210 epochs, 8 GPUs x 32 instances.
_base_ = '../../_base_/pose/td-hm_8xb32-210e_coco-256x192.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.ConvFormer',
        arch='s18',
        out_indices=(3, ),
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained', checkpoint='https://huggingface.co/sail/dl/'
                               'resolve/main/convformer/convformer_s18.pth')),
    head=dict(in_channels=512))

# Top-down heatmap pose estimation with InceptionNeXt-T on COCO
# (SimpleBaseline head on the last stage). The InceptionNeXt paper has no
# pose result; the recipe is the MogaNet one with MogaNet-S's stochastic
# depth.
_base_ = '../../_base_/pose/td-hm_8xb32-210e_coco-256x192.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.InceptionNeXt',
        arch='tiny',
        out_indices=(3, ),
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/sail-sg/inceptionnext/releases/'
            'download/model/inceptionnext_tiny.pth')),
    head=dict(in_channels=768))

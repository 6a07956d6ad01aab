# InternImage-S Mask R-CNN 3x, the official recipe: drop path 0.3,
# otherwise as InternImage-T's.
_base_ = './mask-rcnn_internimage-t_fpn_ms-crop-3x_coco.py'

model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.3,
        init_cfg=dict(checkpoint='https://huggingface.co/OpenGVLab/'
                      'InternImage/resolve/main/internimage_s_1k_224.pth')),
    neck=dict(in_channels=[80, 160, 320, 640]))

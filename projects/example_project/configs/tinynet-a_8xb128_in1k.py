# TinyNet-A on ImageNet-1k with mmcnn's shared classification recipe; the
# backbone is registered by importing the project's package.
_base_ = '../../../configs/_base_/cls/imagenet_8xb128_adamw-300e.py'
custom_imports = dict(
    imports=[
        'mmcnn.models', 'mmcnn.engine',
        'projects.example_project.example_project'
    ],
    allow_failed_imports=False)

model = dict(
    backbone=dict(type='mmcnn.TinyNet', arch='a', out_indices=(3, )),
    head=dict(in_channels=64))

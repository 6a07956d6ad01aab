# OverLoCK-XT on ImageNet-1k at 224x224 on mmcnn's shared AdamW recipe
# (300 epochs, Mixup/CutMix, label smoothing). The official head: a 1x1
# conv to 1024 channels + BN + SiLU, pooling and a linear classifier, on
# the last Focus-Net map (the backbone's classification form).
_base_ = '../../../configs/_base_/cls/imagenet_8xb128_adamw-300e.py'
custom_imports = dict(
    imports=['mmcnn.models', 'mmcnn.engine', 'projects.overlock.overlock'],
    allow_failed_imports=False)

model = dict(
    backbone=dict(
        type='mmcnn.OverLoCK',
        arch='xt',
        classifier_form=True,
        drop_path_rate=0.1),
    neck=None,
    head=dict(
        _delete_=True,
        type='mmcnn.OverLoCKClsHead',
        in_channels=420,
        num_classes=1000,
        projection=1024,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')))

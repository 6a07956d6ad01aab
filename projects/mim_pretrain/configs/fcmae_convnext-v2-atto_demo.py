# FCMAE pre-training of ConvNeXt V2-atto on the demo images (the data,
# schedule and masking of the SparK demo): the sparse encoder's last stage,
# one ConvNeXt V2 block as decoder, MSE on the masked patches.
_base_ = ['./spark_convnext-v2-atto_demo.py']

model = dict(
    _delete_=True,
    type='mmcnn.ConvNetFCMAE',
    input_size=_base_.input_size,
    patch_size=32,
    mask_ratio=0.6,
    data_preprocessor=_base_.model.data_preprocessor,
    # all four outputs, so that the checkpoint holds every tensor of the
    # det backbone (FCMAE trains the last; norm0..norm2 stay at their init)
    backbone=_base_.model.backbone,
    neck=dict(
        type='mmcnn.FCMAEDecoder',
        in_channels=320,
        embed_dims=128,
        patch_size=32),
    head=_base_.model.head)

# SparK pre-training of ConvNeXt V2 (atto, the smallest size, at demo scale;
# the det config's backbone is convnext-v2-t: fine-tune with its arch set to
# 'atto'): the ConvNeXt-atto demo with GRN blocks.
_base_ = ['./spark_convnext-atto_demo.py']

model = dict(backbone=dict(backbone=dict(type='mmcnn.ConvNeXtV2')))

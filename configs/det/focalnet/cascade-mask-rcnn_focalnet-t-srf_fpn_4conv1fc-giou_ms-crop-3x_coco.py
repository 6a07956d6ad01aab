# The FocalNet-T (LRF) Cascade Mask R-CNN 3x recipe with the SRF backbone
# (FocalNet publishes no result for this pair).
_base_ = ('./cascade-mask-rcnn_focalnet-t-lrf_fpn_4conv1fc-giou_'
          'ms-crop-3x_coco.py')

model = dict(
    backbone=dict(
        arch='tiny-srf',
        init_cfg=dict(checkpoint='https://github.com/microsoft/FocalNet/'
                      'releases/download/v1.0.0/focalnet_tiny_srf.pth')))

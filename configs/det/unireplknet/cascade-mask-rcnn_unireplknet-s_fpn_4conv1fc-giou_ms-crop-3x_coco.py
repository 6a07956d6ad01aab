# UniRepLKNet-S Cascade Mask R-CNN 3x, the official recipe: UniRepLKNet-T's
# with stochastic depth 0.5.
_base_ = ('./cascade-mask-rcnn_unireplknet-t_fpn_4conv1fc-giou_ms-crop-3x'
          '_coco.py')

model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.5,
        init_cfg=dict(
            checkpoint='https://huggingface.co/DingXiaoH/UniRepLKNet/resolve/main/unireplknet_s_in1k_224_acc83.91.pth')),
    neck=dict(in_channels=[96, 192, 384, 768]))

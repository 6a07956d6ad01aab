# Top-down heatmap pose estimation with UniRepLKNet-T on COCO
# (SimpleBaseline head on the last stage). The UniRepLKNet paper has no
# pose result; the recipe is the MogaNet one with MogaNet-S's stochastic
# depth.
_base_ = '../../_base_/pose/td-hm_8xb32-210e_coco-256x192.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.UniRepLKNet',
        arch='tiny',
        out_indices=(3, ),
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://huggingface.co/DingXiaoH/UniRepLKNet/resolve/main/unireplknet_t_in1k_224_acc83.21.pth')),
    head=dict(in_channels=640))

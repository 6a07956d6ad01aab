# Top-down heatmap pose estimation with MogaNet-S on COCO, the MogaNet
# paper's recipe (SimpleBaseline head on the last stage): Adam (lr 1e-3),
# 500-iteration linear warm-up, steps at epochs 170 and 200 of 210,
# 8 GPUs x 32 instances, 256x192 inputs with sigma-2 heatmaps, flip test
# and person boxes from a detector.
_base_ = ('mmpose::body_2d_keypoint/topdown_heatmap/coco/'
          'td-hm_res50_8xb64-210e_coco-256x192.py')
custom_imports = dict(imports=['mmcnn.models'], allow_failed_imports=False)

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
auto_scale_lr = dict(base_batch_size=256)

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcnn.MogaNet',
        arch='small',
        out_indices=(3, ),
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/Westlake-AI/MogaNet/releases/'
            'download/moganet-in1k-weights/'
            'moganet_small_sz224_8xbs128_ep300.pth.tar')),
    head=dict(in_channels=512))

train_dataloader = dict(batch_size=32)

# Top-down heatmap pose estimation on COCO, the MogaNet paper's recipe
# (SimpleBaseline head on the last stage): Adam (lr 1e-3), 500-iteration
# linear warm-up, steps at epochs 170 and 200 of 210, 8 GPUs x 32
# instances, 256x192 inputs with sigma-2 heatmaps, flip test and person
# boxes from a detector. It keeps mmpose's checkpoint hook (the shared
# ``td-hm_8xb32-210e_coco-256x192.py`` uses mmcnn's).
_base_ = ('mmpose::body_2d_keypoint/topdown_heatmap/coco/'
          'td-hm_res50_8xb64-210e_coco-256x192.py')
custom_imports = dict(imports=['mmcnn.models'], allow_failed_imports=False)

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
auto_scale_lr = dict(base_batch_size=256)
train_dataloader = dict(batch_size=32)

# Top-down heatmap pose estimation with OverLoCK-T on COCO (a SimpleBaseline
# head on the last stage). The paper has no pose result; the recipe is
# mmcnn's shared one (as for ConvNeXt-T), with the official dense configs'
# stochastic depth 0.2.
_base_ = [
    '../../../configs/_base_/pose/td-hm_8xb32-210e_coco-256x192.py',
    './_base_/overlock.py',
]
custom_imports = dict(
    imports=['mmcnn.models', 'mmcnn.engine', 'projects.overlock.overlock'],
    allow_failed_imports=False)

model = dict(
    backbone=dict(_base_.overlock_t, _delete_=True, out_indices=(3, )),
    head=dict(in_channels=_base_.overlock_t_widths[-1]))

# Top-down heatmap pose estimation with LSNet-T on COCO (SimpleBaseline
# head on the last stage). The paper has no pose result: mmcnn's shared
# recipe; LSNet's last stage is at stride 64, so the head has four 2x
# deconvolutions (not three) to reach the stride-4 heatmaps.
_base_ = [
    '../../../configs/_base_/pose/td-hm_8xb32-210e_coco-256x192.py',
    './_base_/lsnet.py',
]
custom_imports = dict(
    imports=['mmcnn.models', 'mmcnn.engine', 'projects.lsnet.lsnet'],
    allow_failed_imports=False)

model = dict(
    backbone=dict(_base_.lsnet_t, _delete_=True, out_indices=(3, )),
    head=dict(
        in_channels=_base_.lsnet_t_widths[-1],
        deconv_out_channels=(256, 256, 256, 256),
        deconv_kernel_sizes=(4, 4, 4, 4)))

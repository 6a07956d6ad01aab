# Semantic FPN with MogaNet-S on ADE20K, the MogaNet paper's recipe (the
# shared base): AdamW (lr 2e-4, wd 1e-4), poly decay (power 0.9) over 80k
# iterations, 8 GPUs x 4 images, 512x512 crops.
_base_ = './moganet-xt_fpn_8xb4-80k_ade20k-512x512.py'

model = dict(
    backbone=dict(_base_.moganet_s, _delete_=True),
    neck=dict(in_channels=_base_.moganet_s_widths))

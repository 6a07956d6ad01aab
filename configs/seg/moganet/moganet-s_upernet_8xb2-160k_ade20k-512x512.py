# UperNet with MogaNet-S on ADE20K, the MogaNet paper's recipe: AdamW
# (lr 1e-4, wd 0.01, no decay on norms, layer scales and element scales),
# linear warm-up over 1500 iterations from 1e-6 of the lr multiplying a
# poly (power 1.0) decay over 160k iterations, as in mmcv 1.x's poly policy
# with linear warm-up used by the paper, 8 GPUs x 2 images, 512x512 crops.
# It differs from the shared base only in the lr and the no-decay keys.
_base_ = './moganet-xt_upernet_8xb2-160k_ade20k-512x512.py'

model = dict(
    backbone=dict(_base_.moganet_s, _delete_=True),
    decode_head=dict(in_channels=_base_.moganet_s_widths),
    auxiliary_head=dict(in_channels=_base_.moganet_s_widths[2]))

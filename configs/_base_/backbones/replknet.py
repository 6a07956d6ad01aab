# RepLKNet as a backbone fragment (``replknet_31b``): a task config lists
# this file and picks the size by its key. The official dense-prediction
# models (DingXiaoH/RepLKNet-pytorch, detection / segmentation) run the
# backbone with SyncBN: the det / seg configs pick ``replknet_31b_syncbn``,
# the pose configs keep the plain BN of ``replknet_31b``.
_base_ = ['./replknet-31b.py']

replknet_31b_syncbn = dict(
    _base_.replknet_31b, norm_cfg=dict(type='SyncBN', requires_grad=True))

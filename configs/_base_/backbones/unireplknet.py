# Every size of UniRepLKNet as a backbone fragment (``unireplknet_t`` ..
# ``unireplknet_s``): a task config lists this file and picks a size by its
# key; a config for another size inherits it and swaps the key. The
# official dense-prediction models (AILab-CVC/UniRepLKNet, detection /
# segmentation) run the backbone with SyncBN: the det / seg configs pick
# the ``*_syncbn`` keys, the pose configs keep the plain BN of the others.
_base_ = [
    './unireplknet-t.py',
    './unireplknet-s.py',
]

unireplknet_t_syncbn = dict(
    _base_.unireplknet_t, norm_cfg=dict(type='SyncBN', requires_grad=True))
unireplknet_s_syncbn = dict(
    _base_.unireplknet_s, norm_cfg=dict(type='SyncBN', requires_grad=True))

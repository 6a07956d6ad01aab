# Every size of FocalNet as a backbone fragment (``focalnet_t_srf`` ..
# ``focalnet_s_lrf``): a task config lists this file and picks a size by its
# key; a config for another size inherits it and swaps the key. The official
# detection and segmentation configs (microsoft/FocalNet) widen the first
# focal kernel of every stage to 9 (the classification kernels are
# zero-padded on loading): the det / seg configs pick ``<size>_dense``, the
# pose configs keep the classifier's kernels.
_base_ = [
    './focalnet-t-srf.py',
    './focalnet-t-lrf.py',
    './focalnet-s-srf.py',
    './focalnet-s-lrf.py',
]

focalnet_t_srf_dense = dict(_base_.focalnet_t_srf, focal_windows=(9, 9, 9, 9))
focalnet_t_lrf_dense = dict(_base_.focalnet_t_lrf, focal_windows=(9, 9, 9, 9))
focalnet_s_srf_dense = dict(_base_.focalnet_s_srf, focal_windows=(9, 9, 9, 9))
focalnet_s_lrf_dense = dict(_base_.focalnet_s_lrf, focal_windows=(9, 9, 9, 9))

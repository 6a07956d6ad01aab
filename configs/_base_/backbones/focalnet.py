# Every size of FocalNet as a backbone fragment (``focalnet_t_srf`` ..
# ``focalnet_s_lrf``): a task config lists this file and picks a size by its
# key; a config for another size inherits it and swaps the key.
_base_ = [
    './focalnet-t-srf.py',
    './focalnet-t-lrf.py',
    './focalnet-s-srf.py',
    './focalnet-s-lrf.py',
]

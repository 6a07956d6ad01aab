# Every size of UniRepLKNet as a backbone fragment (``unireplknet_t`` ..
# ``unireplknet_s``): a task config lists this file and picks a size by its
# key; a config for another size inherits it and swaps the key.
_base_ = [
    './unireplknet-t.py',
    './unireplknet-s.py',
]

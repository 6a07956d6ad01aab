# Every size of SLaK as a backbone fragment (``slak_t`` ..
# ``slak_s``): a task config lists this file and picks a size by its
# key; a config for another size inherits it and swaps the key.
_base_ = [
    './slak-t.py',
    './slak-s.py',
]

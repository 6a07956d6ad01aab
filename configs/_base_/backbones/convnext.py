# Every size of ConvNeXt as a backbone fragment (``convnext_t`` ..
# ``convnext_b``): a task config lists this file and picks a size by its
# key; a config for another size inherits it and swaps the key.
_base_ = [
    './convnext-t.py',
    './convnext-s.py',
    './convnext-b.py',
]

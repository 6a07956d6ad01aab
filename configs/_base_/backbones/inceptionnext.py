# Every size of InceptionNeXt as a backbone fragment (``inceptionnext_t`` ..
# ``inceptionnext_b``): a task config lists this file and picks a size by its
# key; a config for another size inherits it and swaps the key.
_base_ = [
    './inceptionnext-t.py',
    './inceptionnext-s.py',
    './inceptionnext-b.py',
]

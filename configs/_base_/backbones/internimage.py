# Every size of InternImage as a backbone fragment (``internimage_t`` ..
# ``internimage_s``): a task config lists this file and picks a size by its
# key; a config for another size inherits it and swaps the key.
_base_ = [
    './internimage-t.py',
    './internimage-s.py',
]

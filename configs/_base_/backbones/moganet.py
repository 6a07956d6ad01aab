# Every size of MogaNet as a backbone fragment (``moganet_xt`` ..
# ``moganet_xl``): a task config lists this file and picks a size by its
# key; a config for another size inherits it and swaps the key.
_base_ = [
    './moganet-xt.py',
    './moganet-t.py',
    './moganet-s.py',
    './moganet-b.py',
    './moganet-l.py',
    './moganet-xl.py',
]

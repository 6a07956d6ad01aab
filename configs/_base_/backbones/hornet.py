# Every size of HorNet as a backbone fragment (``hornet_t`` ..
# ``hornet_s``): a task config lists this file and picks a size by its
# key; a config for another size inherits it and swaps the key.
_base_ = [
    './hornet-t.py',
    './hornet-s.py',
]

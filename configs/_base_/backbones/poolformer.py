# Every size of PoolFormer as a backbone fragment (``poolformer_s12`` ..
# ``poolformer_s36``): a task config lists this file and picks a size by its
# key; a config for another size inherits it and swaps the key.
_base_ = [
    './poolformer-s12.py',
    './poolformer-s24.py',
    './poolformer-s36.py',
]

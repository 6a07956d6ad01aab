# Every size of VAN as a backbone fragment (``van_b0`` ..
# ``van_b3``): a task config lists this file and picks a size by its
# key; a config for another size inherits it and swaps the key.
_base_ = [
    './van-b0.py',
    './van-b1.py',
    './van-b2.py',
    './van-b3.py',
]

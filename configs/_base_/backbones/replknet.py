# RepLKNet as a backbone fragment (``replknet_31b``): a task config lists
# this file and picks the size by its key.
_base_ = ['./replknet-31b.py']

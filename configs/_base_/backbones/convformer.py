# ConvFormer as a backbone fragment (``convformer_s18``): a task config lists
# this file and picks the size by its key.
_base_ = ['./convformer-s18.py']

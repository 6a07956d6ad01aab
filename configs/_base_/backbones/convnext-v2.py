# ConvNeXtV2 as a backbone fragment (``convnext_v2_t``): a task config lists
# this file and picks the size by its key.
_base_ = ['./convnext-v2-t.py']

# The 3x AdamW schedule with the linear warm-up over 1000 iterations
# instead of 500, as the Cascade Mask R-CNN recipes of MogaNet, ConvFormer
# and InceptionNeXt use.
_base_ = './adamw_3x.py'

param_scheduler = [
    dict(_base_.param_scheduler[0], end=1000), _base_.param_scheduler[1]
]

# The 5-warm-up-epoch recipe tested at centre crop ratio 0.9 (resize the
# short side to 248, crop 224), as PoolFormer and MogaNet evaluate.
_base_ = './imagenet_8xb128_adamw-300e_warmup-5e.py'

test_pipeline = [
    _base_.test_pipeline[0],
    dict(_base_.test_pipeline[1], scale=248),
    *_base_.test_pipeline[2:],
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# UperNet on ADE20K with the ConvNeXt paper's recipe
# (facebookresearch/ConvNeXt, semantic_segmentation), which HorNet and
# SLaK follow: AdamW (lr 1e-4, wd 0.05, none on 1-D parameters and biases),
# stage-wise lr decay 0.9 over 6 layers (a config sets ``num_layers`` for
# deeper variants), the shared warm-up and poly decay over 160k
# iterations, sliding-window test with 512x512 crops and stride 341.
_base_ = './upernet_adamw_8xb2-160k_ade20k-512x512.py'

model = dict(
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(341, 341)))

optim_wrapper = dict(
    constructor='mmcnn.StageDecayOptimWrapperConstructor',
    optimizer=dict(lr=1e-4, weight_decay=0.05),
    paramwise_cfg=dict(_delete_=True, num_layers=6, decay_rate=0.9))

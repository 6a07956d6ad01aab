"""Optimizer-wrapper constructors and wrappers of mmcnn."""
from .cpu_amp_optim_wrapper import CPUAmpOptimWrapper
from .layer_decay_optim_wrapper_constructor import (
    LayerDecayOptimWrapperConstructor, StageDecayOptimWrapperConstructor,
    convnext_layer_id, convnext_stage_id, get_layer_id_rule, hornet_layer_id,
    moganet_layer_id, register_layer_id_rule)

__all__ = [
    'CPUAmpOptimWrapper', 'LayerDecayOptimWrapperConstructor',
    'StageDecayOptimWrapperConstructor', 'convnext_layer_id',
    'convnext_stage_id', 'get_layer_id_rule', 'hornet_layer_id',
    'moganet_layer_id', 'register_layer_id_rule'
]

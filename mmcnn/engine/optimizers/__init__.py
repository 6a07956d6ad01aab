"""Optimizer-wrapper constructors of mmcnn."""
from .layer_decay_optim_wrapper_constructor import (
    LayerDecayOptimWrapperConstructor, StageDecayOptimWrapperConstructor,
    convnext_layer_id, convnext_stage_id, get_layer_id_rule, hornet_layer_id,
    moganet_layer_id, register_layer_id_rule)

__all__ = [
    'LayerDecayOptimWrapperConstructor', 'StageDecayOptimWrapperConstructor',
    'convnext_layer_id', 'convnext_stage_id', 'get_layer_id_rule',
    'hornet_layer_id', 'moganet_layer_id', 'register_layer_id_rule'
]

"""Optimizer-wrapper constructors of mmcnn."""
from .layer_decay_optim_wrapper_constructor import (
    LayerDecayOptimWrapperConstructor, get_layer_id_rule, moganet_layer_id,
    register_layer_id_rule)

__all__ = [
    'LayerDecayOptimWrapperConstructor', 'get_layer_id_rule',
    'moganet_layer_id', 'register_layer_id_rule'
]

"""Optimizer-wrapper constructors and wrappers of mmcnn."""
from .cpu_amp_optim_wrapper import CPUAmpOptimWrapper
from .family_optim_wrapper_constructor import (FamilyOptimWrapperConstructor,
                                               join_paramwise)
from .layer_decay_optim_wrapper_constructor import (
    LayerDecayOptimWrapperConstructor, StageDecayOptimWrapperConstructor)

__all__ = [
    'CPUAmpOptimWrapper', 'FamilyOptimWrapperConstructor',
    'LayerDecayOptimWrapperConstructor', 'StageDecayOptimWrapperConstructor',
    'join_paramwise'
]

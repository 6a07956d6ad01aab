"""Training hooks of mmcnn."""
from .checkpoint_hook import CheckpointHook
from .dynamic_sparsity_hook import DynamicSparsityHook
from .finite_loss_hook import FiniteLossHook
from .rng_state_hook import RNGStateHook

__all__ = [
    'CheckpointHook', 'DynamicSparsityHook', 'FiniteLossHook', 'RNGStateHook'
]

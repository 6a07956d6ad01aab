"""Training hooks of mmcnn."""
from .dataset_check_hook import DatasetCheckHook
from .dynamic_sparsity_hook import DynamicSparsityHook
from .finite_loss_hook import FiniteLossHook
from .rng_state_hook import RNGStateHook

__all__ = [
    'DatasetCheckHook', 'DynamicSparsityHook', 'FiniteLossHook',
    'RNGStateHook'
]

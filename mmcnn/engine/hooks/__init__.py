"""Training hooks of mmcnn."""
from .dynamic_sparsity_hook import DynamicSparsityHook
from .finite_loss_hook import FiniteLossHook

__all__ = ['FiniteLossHook', 'DynamicSparsityHook']

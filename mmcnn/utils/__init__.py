"""Utilities shared by mmcnn's models and tools."""
from .allocator import keep_freed_memory
from .checkpoint import (CheckpointError, extract_state_dict,
                         load_checkpoint_file, load_pretrained,
                         load_state_dict_checked)

__all__ = [
    'CheckpointError', 'extract_state_dict', 'load_checkpoint_file',
    'load_pretrained', 'load_state_dict_checked', 'keep_freed_memory'
]

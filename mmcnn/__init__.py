"""mmcnn: modern ConvNet backbones for the OpenMMLab 2.x stack."""
from .utils.checkpoint import register_safe_globals
from .utils.fileio import use_atomic_local_writes
from .version import __version__

register_safe_globals()
use_atomic_local_writes()

__all__ = ['__version__']

"""mmcnn: modern ConvNet backbones for the OpenMMLab 2.x stack."""
from .utils.checkpoint import register_safe_globals
from .version import __version__

register_safe_globals()

__all__ = ['__version__']

"""mmcnn: modern ConvNet backbones for the OpenMMLab 2.x stack."""
from .utils.fileio import use_atomic_local_writes
from .utils.load_policy import install as install_safe_loading
from .version import __version__

install_safe_loading()
use_atomic_local_writes()

__all__ = ['__version__']

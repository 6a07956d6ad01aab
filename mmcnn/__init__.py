"""mmcnn: modern ConvNet backbones for the OpenMMLab 2.x stack."""
from .utils.fileio import use_atomic_local_writes
from .utils.load_policy import install as install_safe_loading
from .utils.log_noise import quiet_stack_noise
from .version import __version__

quiet_stack_noise()
install_safe_loading()
use_atomic_local_writes()

__all__ = ['__version__']

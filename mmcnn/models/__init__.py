"""Models of mmcnn; importing this registers them in ``mmcnn.registry``."""
from .backbones import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403

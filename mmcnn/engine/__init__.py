"""Training components of mmcnn; importing this registers them."""
from .optimizers import *  # noqa: F401,F403

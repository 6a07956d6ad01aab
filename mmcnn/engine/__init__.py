"""Training components of mmcnn; importing this registers them."""
from .hooks import *  # noqa: F401,F403
from .loops import EpochBasedTrainLoop  # noqa: F401
from .optimizers import *  # noqa: F401,F403

"""Building blocks shared by mmcnn's backbone families."""
from mmcv.cnn.bricks import DropPath

from .norm import LayerNorm2d
from .scale import ElementScale

__all__ = ['DropPath', 'ElementScale', 'LayerNorm2d']

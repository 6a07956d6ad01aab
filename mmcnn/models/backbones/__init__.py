"""mmcnn backbones, one file per family."""
from .base import ConvNetBackbone
from .moganet import MogaNet

__all__ = ['ConvNetBackbone', 'MogaNet']

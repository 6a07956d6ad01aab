"""mmcnn backbones, one file per family."""
from .base import ConvNetBackbone
from .convnext import ConvNeXt, ConvNeXtV2
from .focalnet import FocalNet
from .hornet import HorNet
from .inceptionnext import InceptionNeXt
from .internimage import InternImage
from .metaformer import ConvFormer, PoolFormer
from .moganet import MogaNet
from .replknet import RepLKNet
from .slak import SLaK
from .unireplknet import UniRepLKNet
from .van import VAN

__all__ = [
    'ConvNetBackbone', 'ConvNeXt', 'ConvNeXtV2', 'InceptionNeXt', 'MogaNet',
    'PoolFormer', 'ConvFormer', 'VAN', 'FocalNet', 'HorNet', 'RepLKNet',
    'SLaK', 'UniRepLKNet', 'InternImage'
]

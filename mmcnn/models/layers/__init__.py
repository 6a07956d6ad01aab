"""Building blocks shared by mmcnn's backbone families."""
from mmcv.cnn.bricks import DropPath

from .dcnv3 import DCNV3_FLOP_HANDLES, DCNv3, dcnv3_core, dcnv3_macs
from .drop import drop_path_rates
from .dwconv import (DepthwiseConv2d, depthwise_conv2d, force_algorithm,
                     to_channels_last)
from .grn import GRN
from .inplace import activate_, addcmul_, inference_mode_on, residual_add
from .norm import LayerNorm2d
from .pointwise import PointwiseLinear
from .reparam import (ConvBN, conv_from_kernel, dilate_kernel, merge_kernel,
                      pad_kernel)
from .scale import ElementScale
from . import sparsity  # noqa: F401

__all__ = [
    'DropPath', 'ElementScale', 'GRN', 'LayerNorm2d', 'PointwiseLinear',
    'ConvBN',
    'conv_from_kernel', 'dilate_kernel', 'merge_kernel', 'pad_kernel',
    'drop_path_rates', 'DCNv3', 'dcnv3_core', 'dcnv3_macs',
    'DCNV3_FLOP_HANDLES', 'DepthwiseConv2d', 'depthwise_conv2d',
    'force_algorithm', 'to_channels_last', 'activate_', 'inference_mode_on',
    'residual_add', 'addcmul_'
]

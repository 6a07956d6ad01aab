"""Building blocks shared by mmcnn's backbone families."""
from mmcv.cnn.bricks import DropPath

from .dcnv3 import DCNv3, dcnv3_core, dcnv3_macs
from .activation import SquaredReLU, StarReLU, fold_star_relu
from .block import LayerScaleBlock
from .drop import build_drop_path, drop_path_rates
from .dwconv import (DepthwiseConv2d, conv_act, conv_act_project,
                     depthwise_conv2d, force_algorithm)
from .grn import GRN
from .layout import to_channels_last
from .inplace import (activate_, addcmul_, inference_mode_on, mul_,
                      residual_add, scaled_residual_add)
from .mlp import Mlp
from .norm import LayerNorm2d, group_rstd
from .pointwise import PointwiseLinear
from .reparam import (ConvBN, Reparameterizable, conv_from_kernel,
                      dilate_kernel, merge_kernel, pad_kernel)
from .scale import ChannelScale, ElementScale
from .sequence import BlockSequence, checkpointed
from . import sparsity  # noqa: F401

__all__ = [
    'DropPath', 'ElementScale', 'GRN', 'LayerNorm2d', 'PointwiseLinear',
    'ConvBN',
    'conv_from_kernel', 'dilate_kernel', 'merge_kernel', 'pad_kernel',
    'drop_path_rates', 'DCNv3', 'dcnv3_core', 'dcnv3_macs',
    'DepthwiseConv2d', 'conv_act', 'conv_act_project', 'depthwise_conv2d',
    'force_algorithm', 'to_channels_last', 'activate_', 'inference_mode_on',
    'residual_add', 'addcmul_', 'mul_', 'scaled_residual_add',
    'build_drop_path', 'ChannelScale', 'Mlp', 'StarReLU', 'SquaredReLU',
    'fold_star_relu', 'group_rstd', 'Reparameterizable', 'BlockSequence',
    'checkpointed', 'LayerScaleBlock'
]

"""Linear layers over the channels of channels-last feature maps."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn


# Below this many pixels (N * H * W) the GEMM wins: at 7x7, batch 1,
# 3072 -> 768 it is 1.17x faster than oneDNN's 1x1 convolution.
MIN_CONV_PIXELS = 256


def pointwise_linear(x: torch.Tensor, weight: torch.Tensor,
                     bias: Optional[torch.Tensor]) -> torch.Tensor:
    """``F.linear(x, weight, bias)`` for a channels-last ``(N, H, W, C)``
    map, as a oneDNN 1x1 convolution on the CPU when the map has at least
    :data:`MIN_CONV_PIXELS` pixels (see :class:`PointwiseLinear`)."""
    if (x.dim() != 4 or x.device.type != 'cpu' or torch.jit.is_tracing()
            or x.shape[0] * x.shape[1] * x.shape[2] < MIN_CONV_PIXELS):
        return F.linear(x, weight, bias)
    return F.conv2d(x.permute(0, 3, 1, 2), weight.view(*weight.shape, 1, 1),
                    bias).permute(0, 2, 3, 1)


class PointwiseLinear(nn.Linear):
    """``nn.Linear`` over the last dim of a channels-last ``(N, H, W, C)``
    map: ``y = x W^T + b``, ``(N, H, W, C_in) -> (N, H, W, C_out)``.

    On the CPU a 4-D input runs as a 1x1 convolution of its ``(N, C, H,
    W)`` channels-last view, with no copy in or out: oneDNN's 1x1
    convolution beats the GEMM that ``nn.Linear`` calls by up to 1.7x at
    2 threads when ``C_in > C_out`` and matches it otherwise (inference and
    training; ``benchmarks/README.md``); maps of fewer than
    :data:`MIN_CONV_PIXELS` pixels keep the GEMM. Parameters, state-dict
    keys and results are those of ``nn.Linear``; FLOP counters trace the
    plain linear layer.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pointwise_linear(x, self.weight, self.bias)

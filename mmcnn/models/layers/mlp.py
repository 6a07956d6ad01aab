"""The two-layer MLP (feed-forward network) of the backbone families."""
from typing import Optional

import torch
from torch import nn

from .dwconv import DepthwiseConv2d, conv_act
from .inplace import activate_
from .pointwise import PointwiseLinear


class Mlp(nn.Module):
    """``drop(fc2(drop(act(dw(fc1(x))))))``, the channel MLP.

    ``fc1``/``fc2`` are 1x1 convs on ``(N, C, H, W)`` maps, or with
    ``channels_last`` linear layers (:class:`PointwiseLinear`) on
    ``(N, H, W, C)`` maps; ``dw`` is a depth-wise ``k x k`` conv named
    ``dwconv`` (VAN's MixFFN), absent when ``dw_kernel_size`` is 0. The
    activation runs in place when autograd is off (:func:`activate_`).

    Args:
        channels: input and output channels C.
        hidden_channels: width of the hidden layer.
        channels_last: linear layers on channels-last maps instead of 1x1
            convs on NCHW maps.
        bias: give ``fc1`` and ``fc2`` biases.
        act: the activation (default GELU).
        dw_kernel_size: kernel of the depth-wise conv after ``fc1``; 0: none.
        drop_rate: dropout after the activation and after ``fc2``.
    """

    def __init__(self,
                 channels: int,
                 hidden_channels: int,
                 channels_last: bool = False,
                 bias: bool = True,
                 act: Optional[nn.Module] = None,
                 dw_kernel_size: int = 0,
                 drop_rate: float = 0.) -> None:
        super().__init__()
        if channels_last:
            self.fc1 = PointwiseLinear(channels, hidden_channels, bias=bias)
        else:
            self.fc1 = nn.Conv2d(channels, hidden_channels, 1, bias=bias)
        self.dwconv = (DepthwiseConv2d(hidden_channels, dw_kernel_size)
                       if dw_kernel_size else None)
        self.act = act if act is not None else nn.GELU()
        if channels_last:
            self.fc2 = PointwiseLinear(hidden_channels, channels, bias=bias)
        else:
            self.fc2 = nn.Conv2d(hidden_channels, channels, 1, bias=bias)
        self.drop = nn.Dropout(drop_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.fc1(x)
        x = (activate_(self.act, x) if self.dwconv is None else conv_act(
            self.dwconv, x, self.act))
        return self.drop(self.fc2(self.drop(x)))

"""Learnable per-channel scales."""
import torch
from torch import nn


class ElementScale(nn.Module):
    """Multiply an ``(N, C, H, W)`` map by a learnable ``(1, C, 1, 1)`` scale.

    Args:
        channels: number of channels C.
        init_value: initial value of every scale entry.
    """

    def __init__(self, channels: int, init_value: float = 0.) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.full((1, channels, 1, 1),
                                             float(init_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


class ChannelScale(nn.Module):
    """Multiply a channels-last ``(..., C)`` map by a learnable ``(C,)``
    vector.

    Args:
        channels: number of channels C.
        init_value: initial value of every scale entry.
    """

    def __init__(self, channels: int, init_value: float = 1.) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.full((channels, ), float(init_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale

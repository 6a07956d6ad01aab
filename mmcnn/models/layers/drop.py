"""Stochastic depth: the per-block schedule and the residual-branch layer."""
from typing import List

from mmcv.cnn.bricks import DropPath
from torch import nn


def drop_path_rates(max_rate: float, num_blocks: int) -> List[float]:
    """Per-block drop-path rates rising linearly from 0 to ``max_rate``.

    The rule of ``torch.linspace(0, max_rate, num_blocks)``, computed with
    plain floats so that models can also be built on the ``meta`` device.
    """
    if num_blocks <= 1:
        return [0.] * num_blocks
    return [max_rate * i / (num_blocks - 1) for i in range(num_blocks)]


def build_drop_path(rate: float) -> nn.Module:
    """Stochastic depth on a residual branch: ``DropPath(rate)``, or an
    identity when ``rate`` is 0 (no module state either way)."""
    return DropPath(rate) if rate > 0. else nn.Identity()

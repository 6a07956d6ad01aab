"""Memory-layout helpers for 4-D feature maps."""
from typing import Optional

import torch


def to_channels_last(x: torch.Tensor,
                     enabled: Optional[bool] = None) -> torch.Tensor:
    """``x`` in channels-last memory format if ``enabled`` (``None``: when
    it is on a CPU), otherwise ``x`` itself; only 4-D tensors change."""
    if enabled is None:
        enabled = x.device.type == 'cpu'
    if not enabled or x.dim() != 4:
        return x
    return x.contiguous(memory_format=torch.channels_last)


def is_channels_last(x: torch.Tensor) -> bool:
    """Whether ``x`` is a 4-D tensor in channels-last (and not also NCHW)
    contiguous layout."""
    return (x.is_contiguous(memory_format=torch.channels_last)
            and not x.is_contiguous())

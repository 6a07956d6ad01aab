"""Running a stage's blocks, with optional gradient checkpointing."""
from typing import Iterable

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint


def checkpointed(block: nn.Module, x: torch.Tensor,
                 with_cp: bool) -> torch.Tensor:
    """``block(x)``; with ``with_cp`` and autograd recording ``x``, its
    activations are recomputed in the backward pass instead of stored."""
    if with_cp and x.requires_grad:
        return checkpoint(block, x, use_reentrant=False)
    return block(x)


class BlockSequence(nn.Sequential):
    """The blocks of a stage, applied in order (keys ``{j}.*`` as
    ``nn.Sequential``); ``with_cp`` checkpoints each block (see
    :func:`checkpointed`)."""

    def __init__(self, blocks: Iterable[nn.Module],
                 with_cp: bool = False) -> None:
        super().__init__(*blocks)
        self.with_cp = with_cp

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self:
            x = checkpointed(block, x, self.with_cp)
        return x

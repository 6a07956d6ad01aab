"""Global Response Normalisation (ConvNeXt V2)."""
import torch
from torch import nn


class GRN(nn.Module):
    """Global Response Normalisation of a channels-last ``(N, H, W, C)`` map.

    Woo et al., "ConvNeXt V2" (arXiv:2301.00808), Eq. 1-3: the global
    response of channel c is ``G_c = ||X_c||_2`` over H and W; it is
    normalised by its mean over channels, ``N_c = G_c / (mean_c G + eps)``,
    and calibrates the input: ``y = gamma * (X * N) + beta + X``.
    ``gamma`` and ``beta`` start at zero, so the layer starts as identity.

    Args:
        channels: number of channels C.
        eps: added to the channel mean of the responses.
    """

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.gamma = nn.Parameter(torch.zeros(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        response = torch.norm(x, p=2, dim=(1, 2), keepdim=True)
        normed = response / (response.mean(dim=-1, keepdim=True) + self.eps)
        return self.gamma * (x * normed) + self.beta + x

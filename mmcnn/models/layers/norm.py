"""Normalisation layers over the channel dimension of NCHW maps."""
import torch
import torch.nn.functional as F
from torch import nn

from .inplace import inference_mode_on


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an ``(N, C, H, W)`` map.

    ``y = (x - E_c[x]) / sqrt(Var_c[x] + eps) * weight + bias``, the
    statistics taken over C at every pixel. Keys are those of
    ``nn.LayerNorm`` (``weight``, ``bias``).

    The norm runs on the ``(N, H, W, C)`` view: for a channels-last input
    both permutes are free views and the output is channels-last; an NCHW
    input is copied once into that layout, so the output is channels-last
    either way and the layers after it stay in it.
    """

    def __init__(self, num_channels: int, eps: float = 1e-6) -> None:
        super().__init__(num_channels, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias,
                         self.eps)
        return x.permute(0, 3, 1, 2)


def group_rstd(x: torch.Tensor, eps: float) -> torch.Tensor:
    """``1 / sqrt(Var[x] + eps)`` over each sample of ``(N, C, H, W)``,
    ``(N, 1, 1, 1)``: the statistic of a one-group GroupNorm.

    Without autograd it runs GroupNorm's own statistics pass (10x faster
    than ``Tensor.var`` over a whole sample, but not differentiable).
    """
    n, c, h, w = x.shape
    if inference_mode_on():
        rstd = torch.native_group_norm(x, None, None, n, c, h * w, 1, eps)[2]
        return rstd.view(n, 1, 1, 1)
    var = x.var(dim=(1, 2, 3), unbiased=False, keepdim=True)
    return torch.rsqrt(var + eps)

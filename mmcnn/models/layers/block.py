"""The pre-norm block with layer scales of MogaNet and VAN, and its fold."""
from typing import Sequence

import torch
from torch import nn

from .drop import build_drop_path
from .fuse import fold_prenorm_branch
from .inplace import addcmul_, residual_add
from .reparam import Reparameterizable


class LayerScaleBlock(Reparameterizable):
    """``x = x + DropPath(ls_1 * attn(norm1(x)))``;
    ``x = x + DropPath(ls_2 * mlp(norm2(x)))`` on ``(N, C, H, W)`` maps.

    ``norm1``/``norm2`` are batch norms, ``attn(u) = attn.proj_2(g(
    attn.proj_1(u))) + u`` and ``mlp(u) = mlp.fc2(h(mlp.fc1(u)))`` with 1x1
    projections; ``ls_1``/``ls_2`` (``layer_scale_1``/``layer_scale_2``,
    of ``scale_shape``) are per-channel scales.

    The deploy form (:meth:`reparameterize`) folds the norms and scales
    into the projections (:func:`fold_prenorm_branch`): ``x = attn'(x) +
    s * x`` with ``s`` the ``shortcut_scale``, then ``x = x + mlp'(x)``.

    Args:
        channels: number of channels C.
        norm1, attn, norm2, mlp: the layers above.
        drop_path_rate: stochastic depth rate of both branches.
        init_value: initial value of the layer scales.
        scale_shape: shape of each layer scale (``(C, )`` or
            ``(1, C, 1, 1)``, as the official checkpoints store it).
    """

    def __init__(self, channels: int, norm1: nn.Module, attn: nn.Module,
                 norm2: nn.Module, mlp: nn.Module, drop_path_rate: float,
                 init_value: float, scale_shape: Sequence[int]) -> None:
        super().__init__()
        self.norm1 = norm1
        self.attn = attn
        self.drop_path = build_drop_path(drop_path_rate)
        self.norm2 = norm2
        self.mlp = mlp
        self.layer_scale_1 = nn.Parameter(
            torch.full(tuple(scale_shape), float(init_value)))
        self.layer_scale_2 = nn.Parameter(
            torch.full(tuple(scale_shape), float(init_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.deploy:
            x = addcmul_(self.attn(x), self.shortcut_scale, x)
            return residual_add(x, self.mlp(x))
        scale_1 = self.layer_scale_1.view(-1, 1, 1)
        scale_2 = self.layer_scale_2.view(-1, 1, 1)
        x = x + self.drop_path(scale_1 * self.attn(self.norm1(x)))
        return residual_add(
            x, self.drop_path(scale_2 * self.mlp(self.norm2(x))))

    def reparameterize(self) -> None:
        """Fold ``norm1``/``layer_scale_1`` into ``attn.proj_1``/``proj_2``
        and ``norm2``/``layer_scale_2`` into ``mlp.fc1``/``fc2`` (exact for
        the eval-mode block), then the MLP's own deploy form if it has one;
        drop path is dropped."""
        attn, mlp = self.attn, self.mlp
        attn.proj_1, attn.proj_2, shortcut_scale = fold_prenorm_branch(
            self.norm1, attn.proj_1, attn.proj_2,
            self.layer_scale_1.reshape(1, -1, 1, 1), inner_shortcut=True)
        self.shortcut_scale = nn.Parameter(shortcut_scale)
        mlp.fc1, mlp.fc2, _ = fold_prenorm_branch(
            self.norm2, mlp.fc1, mlp.fc2, self.layer_scale_2,
            inner_shortcut=False)
        if isinstance(mlp, Reparameterizable):
            mlp.switch_to_deploy()
        del self.norm1, self.norm2, self.layer_scale_1, self.layer_scale_2
        self.drop_path = nn.Identity()

"""The official from-scratch initialisations shared by several families."""
import math
from typing import Tuple, Type

from torch import nn

Types = Tuple[Type[nn.Module], ...]


def init_trunc_normal(model: nn.Module,
                      types: Types = (nn.Conv2d, nn.Linear)) -> None:
    """Weights of the ``types`` layers ~ TN(0, 0.02), their biases 0."""
    for m in model.modules():
        if isinstance(m, types):
            nn.init.trunc_normal_(m.weight, std=.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def init_fan_out(model: nn.Module,
                 norm_types: Types = (nn.BatchNorm2d, nn.LayerNorm)) -> None:
    """Conv weights ~ N(0, 2 / fan_out) with zero biases; the ``norm_types``
    norms to identity (weight 1, bias 0)."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            fan_out = (m.kernel_size[0] * m.kernel_size[1] *
                       m.out_channels) // m.groups
            nn.init.normal_(m.weight, 0, math.sqrt(2.0 / fan_out))
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, norm_types):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def init_linear_layer_norm(model: nn.Module) -> None:
    """Linear weights ~ TN(0, 0.02) with zero biases, LayerNorms to
    identity (weight 1, bias 0); other layers keep their own init."""
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

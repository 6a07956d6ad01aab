"""Which weights a sparse network sparsifies, and at what density each.

SLaK (Liu et al., ICLR 2023, Sec. 4) trains every 2-D/4-D weight (convs and
linear layers, a classifier included) with a binary mask; the overall
density ``1 - sparsity`` is spread over the layers evenly (``'uniform'``)
or by the Erdos-Renyi-kernel rule (``'erk'``). The training hook
(:class:`mmcnn.engine.hooks.DynamicSparsityHook`) and the FLOP counter
(:func:`mmcnn.analysis.weight_densities`) both use these rules; shapes
suffice, so they also work on the meta device.
"""
import math
from typing import Dict, Sequence

from torch import nn


def sparse_weights(module: nn.Module) -> Dict[str, nn.Parameter]:
    """The 2-D/4-D parameters of ``module`` (conv and linear weights) by
    name: the weights a sparse network masks."""
    return {name: p for name, p in module.named_parameters()
            if p.dim() in (2, 4)}


def erk_densities(shapes: Dict[str, Sequence[int]],
                  density: float) -> Dict[str, float]:
    """Per-layer densities of the Erdos-Renyi-kernel rule.

    Layer ``l`` gets ``eps * sum(shape_l) / prod(shape_l)``, ``eps`` chosen
    so that ``sum_l density_l * n_l = density * sum_l n_l``; a layer whose
    density would exceed 1 is kept dense and ``eps`` solved again.
    """
    sizes = {name: math.prod(shape) for name, shape in shapes.items()}
    raw = {name: sum(shape) / sizes[name] for name, shape in shapes.items()}
    budget = density * sum(sizes.values())
    dense = set()
    while True:
        sparse = [name for name in shapes if name not in dense]
        left = budget - sum(sizes[name] for name in dense)
        eps = left / sum(raw[name] * sizes[name] for name in sparse)
        top = max(raw[name] for name in sparse)
        if eps * top <= 1:
            break
        dense.update(name for name in sparse if raw[name] == top)
    return {name: 1. if name in dense else eps * raw[name]
            for name in shapes}


def layer_densities(shapes: Dict[str, Sequence[int]], density: float,
                    layout: str) -> Dict[str, float]:
    """The density of every weight for an overall ``density``, spread by
    ``layout``: ``'erk'`` (:func:`erk_densities`) or ``'uniform'`` (the
    same density everywhere).

    Raises:
        ValueError: another layout.
    """
    if layout == 'erk':
        return erk_densities(shapes, density)
    if layout != 'uniform':
        raise ValueError(
            f"layout must be 'uniform' or 'erk', got {layout!r}.")
    return dict.fromkeys(shapes, density)

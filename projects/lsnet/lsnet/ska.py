"""Small-kernel aggregation (SKA), the dynamic half of LS convolution.

For an input ``x`` of shape ``(N, C, H, W)`` and per-pixel kernels ``w`` of
shape ``(N, C_w, k*k, H, W)`` (``C`` a multiple of ``C_w``), SKA computes

    y[n, c, h, v] = sum_{i, j < k} w[n, c mod C_w, i*k + j, h, v]
                    * x[n, c, h + i - k//2, v + j - k//2]

with zero padding: a depth-wise ``k x k`` convolution whose kernel changes
from pixel to pixel and is shared by the channels ``c, c + C_w, ...`` (the
``C / C_w`` channels of one weight group, interleaved as in the official
Triton kernel, which reads ``w[n, c % C_w]``).

:func:`ska` is the CPU-friendly form: ``k*k`` fused multiply-adds over
shifted views of the padded input, with a hand-written backward, wrapped in
one autograd function so that the FLOP counter sees one operator
(:data:`SKA_FLOP_HANDLES`). :func:`ska_reference` is the literal
``unfold`` form used to check it.
"""
import math
from collections import Counter
from typing import Any, List, Tuple

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

from mmcnn.analysis.handles import PAPER_FLOP_HANDLES
from mmengine.analysis.jit_handles import get_shape


def _check(x: torch.Tensor, weight: torch.Tensor) -> Tuple[int, int]:
    """``(k, C / C_w)`` of valid SKA arguments; raise a ValueError that
    names the expected shapes otherwise."""
    if x.dim() != 4 or weight.dim() != 5:
        raise ValueError(
            f'SKA takes x of shape (N, C, H, W) and weights of shape (N, C_w, '
            f'k*k, H, W); got {tuple(x.shape)} and {tuple(weight.shape)}.')
    n, c, h, w = x.shape
    k = math.isqrt(weight.shape[2])
    if (weight.shape[0] != n or tuple(weight.shape[3:]) != (h, w)
            or k * k != weight.shape[2] or k % 2 == 0
            or c % weight.shape[1]):
        raise ValueError(
            f'SKA weights {tuple(weight.shape)} do not fit x {tuple(x.shape)}:'
            f' expected (N={n}, C_w, k*k, H={h}, W={w}) with C_w dividing '
            f'C={c} and k odd.')
    return k, c // weight.shape[1]


def _shifted(padded: torch.Tensor, k: int, h: int,
             w: int) -> List[torch.Tensor]:
    """The ``k*k`` views ``padded[..., i:i+h, j:j+w]`` in tap order."""
    return [padded[..., i:i + h, j:j + w] for i in range(k) for j in range(k)]


def _grouped(x: torch.Tensor, groups: int) -> torch.Tensor:
    """``(N, C, H, W) -> (N, groups, C / groups, H, W)``: channel ``c`` at
    ``[c // (C/groups), c % (C/groups)]``."""
    n, c, h, w = x.shape
    return x.reshape(n, groups, c // groups, h, w)


class SKAFunction(torch.autograd.Function):
    """SKA with its analytic backward (``ska``'s autograd node)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor,
                weight: torch.Tensor) -> torch.Tensor:
        k, groups = _check(x, weight)
        ctx.save_for_backward(x, weight)
        ctx.k, ctx.groups = k, groups
        n, c, h, w = x.shape
        pad = k // 2
        padded = _grouped(F.pad(x, (pad, pad, pad, pad)), groups)
        out = x.new_zeros(n, groups, c // groups, h, w)
        for tap, view in enumerate(_shifted(padded, k, h, w)):
            out.addcmul_(view, weight[:, None, :, tap])
        return out.reshape(n, c, h, w)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any,
                 grad: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        x, weight = ctx.saved_tensors
        k, groups = ctx.k, ctx.groups
        n, c, h, w = x.shape
        pad = k // 2
        grad = _grouped(grad, groups)
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:
            grad_padded = x.new_zeros(n, groups, c // groups, h + 2 * pad,
                                      w + 2 * pad)
            for tap, view in enumerate(_shifted(grad_padded, k, h, w)):
                view.addcmul_(grad, weight[:, None, :, tap])
            grad_x = grad_padded[..., pad:pad + h, pad:pad + w].reshape(
                n, c, h, w)
        if ctx.needs_input_grad[1]:
            padded = _grouped(F.pad(x, (pad, pad, pad, pad)), groups)
            grad_w = torch.stack([(grad * view).sum(1) for view in
                                  _shifted(padded, k, h, w)], dim=2)
        return grad_x, grad_w


def ska(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Small-kernel aggregation, ``(N, C, H, W), (N, C_w, k*k, H, W) ->
    (N, C, H, W)`` (the module docstring's equation)."""
    if torch.onnx.is_in_onnx_export():
        return ska_traceable(x, weight)
    return SKAFunction.apply(x, weight)


def ska_traceable(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """:func:`ska` out of place, the taps summed in the same order: the
    form the ONNX exporter traces (it cannot trace the autograd
    function)."""
    k, groups = _check(x, weight)
    n, c, h, w = x.shape
    pad = k // 2
    padded = _grouped(F.pad(x, (pad, pad, pad, pad)), groups)
    terms = [view * weight[:, None, :, tap]
             for tap, view in enumerate(_shifted(padded, k, h, w))]
    out = terms[0]
    for term in terms[1:]:
        out = out + term
    return out.reshape(n, c, h, w)


def ska_reference(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """:func:`ska` written with ``F.unfold`` (for tests and timing)."""
    k, groups = _check(x, weight)
    n, c, h, w = x.shape
    columns = F.unfold(x, k, padding=k // 2).reshape(
        n, groups, c // groups, k * k, h, w)
    return (columns * weight[:, None]).sum(3).reshape(n, c, h, w)


def ska_flop_jit(inputs: List[Any], outputs: List[Any]) -> Counter:
    """``prim::PythonOp.SKAFunction``: ``k*k`` multiply-adds per output
    element, what the official counter gets by standing in a depth-wise
    ``k x k`` convolution for the Triton kernel."""
    taps = get_shape(inputs[1])[2]
    return Counter({'ska': math.prod(get_shape(outputs[0])) * taps})


SKA_FLOP_HANDLES = {'prim::PythonOp.SKAFunction': ska_flop_jit}
PAPER_FLOP_HANDLES.update(SKA_FLOP_HANDLES)

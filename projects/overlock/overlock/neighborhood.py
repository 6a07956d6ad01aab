"""Neighbourhood aggregation (NATTEN's ``na2d_av``) in pure PyTorch.

For an ``(B, G, H, W, C)`` value map ``v`` and per-pixel weights
``a`` of shape ``(B, G, H, W, K * K)``, the output at pixel ``(i, j)`` is

    ``y[i, j] = sum_{p, q < K} a[i, j, p K + q] * v[s_H(i) + p d, s_W(j) + q d]``

with NATTEN's window start ``s_L(i)``: the ``K x K`` window (taps ``d``
apart) is centred on the pixel where it fits and *shifted* inside the map
near the borders (never zero-padded), so every pixel sees ``K * K`` real
neighbours. With dilation ``d`` the map splits into ``d x d`` interleaved
sub-grids, each aggregated without dilation. Each sub-grid side must be at
least ``K``.
"""
from collections import Counter
from math import prod
from typing import Any, List, Tuple

import torch
from mmengine.analysis.jit_handles import get_shape

from mmcnn.analysis.handles import PAPER_FLOP_HANDLES


def window_index(length: int, kernel_size: int,
                 device: torch.device = None) -> torch.Tensor:
    """``(K, L)`` long tensor: row ``k`` holds ``s(i) + k`` for every
    position ``i``, ``s(i) = clamp(i - K // 2, 0, L - K)`` (dilation 1)."""
    if length < kernel_size:
        raise ValueError(f'Neighbourhood size {kernel_size} does not fit in a '
                         f'map side of {length}; the side must be >= '
                         'kernel_size * dilation.')
    pos = torch.arange(length, device=device)
    start = (pos - kernel_size // 2).clamp(0, length - kernel_size)
    return start.unsqueeze(0) + torch.arange(kernel_size,
                                             device=device).unsqueeze(1)


#: Most elements of the gathered neighbour tensor held at once: the window
#: rows are processed in chunks below this (all at once on small maps).
GATHER_BUDGET = 1 << 26


def _row_chunks(value: torch.Tensor, kernel_size: int) -> List[range]:
    """Window rows in chunks whose neighbours fit :data:`GATHER_BUDGET`."""
    b, g, h, w, c = value.shape
    per_row = b * g * h * w * kernel_size * c
    step = max(1, min(kernel_size, GATHER_BUDGET // max(per_row, 1)))
    return [range(p, min(p + step, kernel_size))
            for p in range(0, kernel_size, step)]


def _neighbour_index(h: int, w: int, kernel_size: int, rows: range,
                     device: torch.device) -> torch.Tensor:
    """Flat ``(H, W, P * K)`` index into the ``H * W`` pixels of the
    neighbours in window rows ``rows``."""
    idx_h = window_index(h, kernel_size, device)[rows.start:rows.stop]
    idx_w = window_index(w, kernel_size, device)
    flat = idx_h.t()[:, None, :, None] * w + idx_w.t()[None, :, None, :]
    return flat.reshape(h, w, -1)


def _gather(value: torch.Tensor, kernel_size: int,
            rows: range) -> torch.Tensor:
    """Neighbours in window rows ``rows``, ``(B, G, H, W, P * K, C)``."""
    b, g, h, w, c = value.shape
    idx_h = window_index(h, kernel_size, value.device)[rows.start:rows.stop]
    idx_h = idx_h.t().contiguous()[:, None, :, None]
    idx_w = window_index(w, kernel_size, value.device).t().contiguous()
    # Contiguous indices give a contiguous (B, G, H, W, P, K, C) result.
    taps = value[:, :, idx_h, idx_w[None, :, None, :]]
    return taps.reshape(b, g, h, w, -1, c)


def _av_forward(attn: torch.Tensor, value: torch.Tensor,
                kernel_size: int) -> torch.Tensor:
    """``sum_{p, q} attn[..., p K + q] * value[.., idx_h[p], idx_w[q], :]``
    as K*K multiply-adds of whole shifted maps (rows gathered once per
    window row), so no neighbour tensor is materialised."""
    k = kernel_size
    _, _, h, w, _ = value.shape
    idx_h = window_index(h, k, value.device)
    idx_w = window_index(w, k, value.device)
    out = torch.zeros_like(value)
    for p in range(k):
        rows = value.index_select(2, idx_h[p])
        for q in range(k):
            tap = p * k + q
            out.addcmul_(attn[..., tap:tap + 1], rows.index_select(3, idx_w[q]))
    return out


def _av_backward(grad: torch.Tensor, attn: torch.Tensor, value: torch.Tensor,
                 kernel_size: int, need_attn: bool,
                 need_value: bool) -> Tuple[torch.Tensor, torch.Tensor]:
    b, g, h, w, c = value.shape
    k = kernel_size
    pixels = value.view(b, g, h * w, c)
    grad_attn = torch.empty_like(attn) if need_attn else None
    grad_value = torch.zeros_like(pixels) if need_value else None
    for rows in _row_chunks(value, k):
        index = _neighbour_index(h, w, k, rows, value.device)
        cols = slice(rows.start * k, rows.stop * k)
        if need_attn:
            grad_attn[..., cols] = torch.einsum(
                'bghwkc,bghwc->bghwk', _gather(value, k, rows), grad)
        if need_value:
            spread = attn[..., cols].unsqueeze(-1) * grad.unsqueeze(-2)
            grad_value.index_add_(2, index.reshape(-1),
                                  spread.view(b, g, -1, c))
    if grad_value is not None:
        grad_value = grad_value.view(b, g, h, w, c)
    return grad_attn, grad_value


class NeighborhoodAV(torch.autograd.Function):
    """``na2d_av`` without dilation; saves only its inputs (the backward
    recomputes the gathered neighbours one window row at a time)."""

    @staticmethod
    def forward(ctx: Any, attn: torch.Tensor, value: torch.Tensor,
                kernel_size: int) -> torch.Tensor:
        ctx.save_for_backward(attn, value)
        ctx.kernel_size = kernel_size
        return _av_forward(attn, value, kernel_size)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> Tuple[Any, ...]:
        attn, value = ctx.saved_tensors
        grad_attn, grad_value = _av_backward(
            grad.contiguous(), attn, value, ctx.kernel_size,
            ctx.needs_input_grad[0], ctx.needs_input_grad[1])
        return grad_attn, grad_value, None


def na2d_av(attn: torch.Tensor, value: torch.Tensor, kernel_size: int,
            dilation: int = 1) -> torch.Tensor:
    """NATTEN's ``na2d_av``: ``attn (B, G, H, W, K*K)``, ``value (B, G, H,
    W, C)`` -> ``(B, G, H, W, C)`` (see the module docstring)."""
    if attn.shape[:4] != value.shape[:4] or attn.shape[-1] != kernel_size**2:
        raise ValueError(
            f'na2d_av expects attn (B, G, H, W, {kernel_size**2}) and value '
            f'(B, G, H, W, C) with the same B, G, H, W; got '
            f'{tuple(attn.shape)} and {tuple(value.shape)}.')
    if min(value.shape[2:4]) < kernel_size * dilation:
        raise ValueError(
            f'na2d_av: map {tuple(value.shape[2:4])} is smaller than '
            f'kernel_size * dilation = {kernel_size * dilation}.')
    attn, value = attn.contiguous(), value.contiguous()
    if dilation == 1:
        return NeighborhoodAV.apply(attn, value, kernel_size)
    out = torch.empty_like(value)
    for a in range(dilation):
        for b in range(dilation):
            out[:, :, a::dilation, b::dilation] = na2d_av(
                attn[:, :, a::dilation, b::dilation],
                value[:, :, a::dilation, b::dilation], kernel_size)
    return out


def relative_bias(rpb: torch.Tensor, height: int, width: int,
                  kernel_size: int) -> torch.Tensor:
    """The relative position bias of each pixel's window, ``(G, H, W,
    K*K)``, from a ``(G, 2K-1, 2K-1)`` table: tap ``(p, q)`` of pixel
    ``(i, j)`` reads ``rpb[:, s_H(i) + p - i + K - 1, s_W(j) + q - j + K -
    1]`` (offset of the neighbour, shifted windows included)."""
    k = kernel_size
    rel_h = (window_index(height, k, rpb.device)
             - torch.arange(height, device=rpb.device) + k - 1).t()
    rel_w = (window_index(width, k, rpb.device)
             - torch.arange(width, device=rpb.device) + k - 1).t()
    bias = rpb[:, rel_h[:, None, :, None], rel_w[None, :, None, :]]
    return bias.reshape(rpb.shape[0], height, width, k * k)


def na2d_av_flop_jit(inputs: List[Any], outputs: List[Any]) -> Counter:
    """``prim::PythonOp.NeighborhoodAV``: one multiply-add per neighbour
    and output element, ``B * G * H * W * C * K^2`` (NATTEN's own fvcore
    handle)."""
    taps = get_shape(inputs[0])[-1]
    return Counter({'na2d_av': prod(get_shape(outputs[0])) * taps})


NA2D_FLOP_HANDLES = {'prim::PythonOp.NeighborhoodAV': na2d_av_flop_jit}
PAPER_FLOP_HANDLES.update(NA2D_FLOP_HANDLES)

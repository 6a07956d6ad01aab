"""DCNv3, the deformable operator of InternImage, runnable on any device.

Wang et al., "InternImage: Exploring Large-Scale Vision Foundation Models
with Deformable Convolutions", CVPR 2023 (arXiv:2211.05778), Eq. 4: for
group g and output position p0,

    y_g(p0) = sum_k m_gk * x_g(p0 + p_k + dp_gk),

with the K kernel points ``p_k`` of a (dilated) square kernel, learned
offsets ``dp_gk`` and modulation scalars ``m_gk`` normalised by a softmax
over the K points of each group; ``x_g(.)`` samples the channels of group
g bilinearly, with zeros outside the map.

The official operator is a CUDA kernel. On the CPU, mmcnn's compiled
kernel (:mod:`mmcnn.ops`, ``csrc/dcnv3.cpp``: the gather, bilinear
weights, modulation and group sum in one pass over the channels-last map,
and a backward whose tasks own disjoint slices of the input gradient) runs
when it is built and a timed trial per input shape finds it faster
(:func:`~mmcnn.models.layers.dwconv.selection.select_variant`, forward
and backward in training; the kernel under ``force_algorithm('compiled')``
and in deterministic mode). Otherwise, and on other devices, the sampling
runs as one
weighted row gather per bilinear tap: ``F.embedding_bag`` over the rows
``(pixel, group)`` of the channels-last map, whose per-sample weights are
the bilinear tap weights times the modulation, so neither the sampled
values of the K points nor a channels-first copy is ever materialised.
mmcv's compiled ``modulated_deform_conv2d`` (DCNv2) can express DCNv3 as
a depth-wise deformable conv with unit weights, but on the CPU it fills a
K-times larger im2col buffer in a scalar loop and is far slower.
"""
from typing import Any, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

from mmcnn.ops import cpu_ops
from .dwconv import DepthwiseConv2d
from .dwconv.selection import forced_algorithm, map_key, select_variant
from .pointwise import PointwiseLinear


def dcnv3_output_size(size: int, kernel_size: int, stride: int, padding: int,
                      dilation: int) -> int:
    """Output length of a DCNv3 along one spatial axis (as a convolution)."""
    span = dilation * (kernel_size - 1) + 1
    return (size + 2 * padding - span) // stride + 1


def _bilinear_taps(x: torch.Tensor, offset: torch.Tensor, mask: torch.Tensor,
                   kernel_size: int, stride: int, padding: int,
                   dilation: int, offset_scale: float
                   ) -> List[Tuple[torch.Tensor, torch.Tensor]]:
    """Row indices and weights of the four bilinear taps of every point.

    Rows index the ``(N * (H + 2) * (W + 2) * G, C / G)`` table of the
    input zero-padded by one pixel, so taps outside the input read zeros.
    Kernel point ``k = i * kernel_size + j`` is column ``i`` and row ``j``
    of the kernel, as in the official operator.

    Returns:
        Four ``(index, weight)`` pairs of shape ``(N, H_out, W_out, G, K)``.
    """
    n, height, width, _ = x.shape
    _, h_out, w_out, groups, points, _ = offset.shape
    dtype = torch.promote_types(x.dtype, torch.float32)
    half = dilation * (kernel_size - 1) // 2
    taps = torch.arange(kernel_size, device=x.device, dtype=dtype)
    taps = (taps * dilation - half) * offset_scale
    start = half - padding + 1
    base_x = torch.arange(w_out, device=x.device, dtype=dtype) * stride
    base_x = (base_x + start).view(w_out, 1) + taps.repeat_interleave(
        kernel_size)
    base_y = torch.arange(h_out, device=x.device, dtype=dtype) * stride
    base_y = (base_y + start).view(h_out, 1) + taps.repeat(kernel_size)
    offset = offset.to(dtype)
    loc_x = torch.add(base_x.view(1, 1, w_out, 1, points), offset[..., 0],
                      alpha=offset_scale)
    loc_y = torch.add(base_y.view(1, h_out, 1, 1, points), offset[..., 1],
                      alpha=offset_scale)
    x0, y0 = loc_x.floor(), loc_y.floor()
    frac_x, frac_y = loc_x - x0, loc_y - y0
    x0, y0 = x0.to(torch.int32), y0.to(torch.int32)

    row_stride = (width + 2) * groups
    index = dict(device=x.device, dtype=torch.int32)
    cell = (torch.arange(n, **index).view(n, 1, 1, 1, 1) *
            ((height + 2) * row_stride) +
            torch.arange(groups, **index).view(1, 1, 1, groups, 1))
    col_a = x0.clamp(0, width + 1).mul_(groups)
    col_b = (x0 + 1).clamp_(0, width + 1).mul_(groups)
    row_a = y0.clamp(0, height + 1).mul_(row_stride).add_(cell)
    row_b = (y0 + 1).clamp_(0, height + 1).mul_(row_stride).add_(cell)

    mask = mask.to(dtype)
    weight_b = frac_y * mask
    weight_a = mask - weight_b
    weight_ab = weight_a * frac_x
    weight_bb = weight_b * frac_x
    return [(row_a + col_a, weight_a - weight_ab),
            (row_a + col_b, weight_ab),
            (row_b + col_a, weight_b - weight_bb),
            (row_b + col_b, weight_bb)]


class _WeightedGather(torch.autograd.Function):
    """``out[m] = sum_k weight[m, k] * table[index[m, k]]``.

    The forward is ``F.embedding_bag``; the backward scatters with an
    accumulating ``index_put_`` and gathers for the weight gradient, much
    faster on CPU than ``embedding_bag``'s sorted dense backward.
    """

    @staticmethod
    def forward(ctx: Any, table: torch.Tensor, index: torch.Tensor,
                weight: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(table, index, weight)
        return F.embedding_bag(index, table, mode='sum',
                               per_sample_weights=weight)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple:
        table, index, weight = ctx.saved_tensors
        rows, points = index.shape
        grad_table = grad_weight = None
        if ctx.needs_input_grad[0]:
            source = weight.unsqueeze(-1) * grad_out.unsqueeze(1)
            grad_table = torch.zeros_like(table).index_put_(
                (index.flatten().long(), ), source.flatten(0, 1),
                accumulate=True)
        if ctx.needs_input_grad[2]:
            gathered = table.index_select(0, index.flatten()).view(
                rows, points, table.shape[1])
            grad_weight = torch.bmm(gathered, grad_out.unsqueeze(-1))
            grad_weight = grad_weight.squeeze(-1)
        return grad_table, None, grad_weight


def _gather_sample(x: torch.Tensor, offset: torch.Tensor,
                   mask: torch.Tensor, kernel_size: int, stride: int,
                   padding: int, dilation: int,
                   offset_scale: float) -> torch.Tensor:
    """Differentiable DCNv3 sampling with shaped offsets and masks.

    Shapes: ``x (N, H, W, C)``, ``offset (N, H_out, W_out, G, K, 2)``,
    ``mask (N, H_out, W_out, G, K)``; returns ``(N, H_out, W_out, C)``.
    """
    n, _, _, channels = x.shape
    _, h_out, w_out, groups, points = mask.shape
    table = F.pad(x, (0, 0, 1, 1, 1, 1)).reshape(-1, channels // groups)
    out = None
    for index, weight in _bilinear_taps(x, offset, mask, kernel_size, stride,
                                        padding, dilation, offset_scale):
        tap = _WeightedGather.apply(
            table, index.view(-1, points),
            weight.to(x.dtype).reshape(-1, points))
        out = tap if out is None else out + tap
    return out.view(n, h_out, w_out, channels)


def _compiled(x: torch.Tensor, offset: torch.Tensor, mask: torch.Tensor,
              settings: tuple, train: bool) -> Optional[Any]:
    """The compiled kernels when they take ``x`` (float32/64 on the CPU)
    and are faster here than :func:`_gather_sample`: forward (and backward
    when ``train``) timed once per input shape and settings."""
    if x.device.type != 'cpu' or x.dtype not in (torch.float32,
                                                 torch.float64):
        return None
    ops = cpu_ops()
    if (ops is None or forced_algorithm() == 'compiled'
            or torch.jit.is_tracing() or torch.compiler.is_compiling()):
        return ops
    inputs = (x, offset, mask)

    def compiled() -> None:
        out = ops.dcnv3_forward(*inputs, *settings)
        if train:
            ops.dcnv3_backward(torch.ones_like(out), *inputs, *settings)

    def gathered() -> None:
        leaves = [t.detach().requires_grad_(train) for t in inputs]
        with torch.set_grad_enabled(train):
            out = _gather_sample(*leaves, *settings)
            if train:
                torch.autograd.grad(out, leaves, torch.ones_like(out))

    key = ('dcnv3', map_key(x.permute(0, 3, 1, 2)), tuple(mask.shape[3:]),
           settings, train)
    choice = select_variant(key, {'compiled': compiled, 'gather': gathered})
    return ops if choice == 'compiled' else None


class DCNv3Function(torch.autograd.Function):
    """The DCNv3 sampling as one autograd node.

    The forward keeps only its inputs, as the official CUDA kernel does;
    the backward runs the compiled kernel's, or recomputes the gather with
    autograd and differentiates it. Being one node, the op appears in a
    traced graph as ``prim::PythonOp.DCNv3Function``, which
    :data:`mmcnn.analysis.DCNV3_FLOP_HANDLES` counts (see
    :func:`dcnv3_macs`).
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, offset: torch.Tensor,
                mask: torch.Tensor, kernel_size: int, stride: int,
                padding: int, dilation: int,
                offset_scale: float) -> torch.Tensor:
        ctx.settings = (kernel_size, stride, padding, dilation, offset_scale)
        ctx.save_for_backward(x, offset, mask)
        ctx.compiled = _compiled(x, offset, mask, ctx.settings,
                                 any(ctx.needs_input_grad[:3]))
        if ctx.compiled is not None:
            return ctx.compiled.dcnv3_forward(x, offset, mask, *ctx.settings)
        return _gather_sample(x, offset, mask, *ctx.settings)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple:
        if ctx.compiled is not None:
            grads = ctx.compiled.dcnv3_backward(grad_out, *ctx.saved_tensors,
                                                *ctx.settings)
            return tuple(g if needed else None for g, needed in zip(
                grads, ctx.needs_input_grad[:3])) + (None, ) * 5
        inputs = [t.detach().requires_grad_(needed) for t, needed in zip(
            ctx.saved_tensors, ctx.needs_input_grad[:3])]
        with torch.enable_grad():
            out = _gather_sample(*inputs, *ctx.settings)
        wanted = [t for t in inputs if t.requires_grad]
        grads = iter(torch.autograd.grad(out, wanted, grad_out))
        return tuple(next(grads) if t.requires_grad else None
                     for t in inputs) + (None, ) * 5


def dcnv3_core(x: torch.Tensor,
               offset: torch.Tensor,
               mask: torch.Tensor,
               groups: int,
               kernel_size: int = 3,
               stride: int = 1,
               padding: int = 1,
               dilation: int = 1,
               offset_scale: float = 1.) -> torch.Tensor:
    """DCNv3 sampling of a channels-last map (the official op's layout).

    Output pixel ``(h, w)``, group ``g`` and kernel point ``k = i *
    kernel_size + j`` sample ``x`` at column ``w * stride - padding + c +
    (i * dilation - c + dx) * offset_scale`` and row ``h * stride -
    padding + c + (j * dilation - c + dy) * offset_scale`` with ``c =
    dilation * (kernel_size - 1) // 2`` (bilinear, zeros outside), and the
    samples are summed weighted by the mask.

    Args:
        x: ``(N, H, W, C)`` input, C divisible by ``groups``.
        offset: ``(N, H_out, W_out, G * K * 2)`` offsets ``(dx, dy)`` of
            every group and kernel point, in pixels before
            ``offset_scale``.
        mask: ``(N, H_out, W_out, G * K)`` modulation (InternImage passes
            a softmax over the K points of each group).
        groups: number of offset groups G.
        kernel_size, stride, padding, dilation: the square sampling
            kernel, as in a convolution; ``K = kernel_size ** 2``.
        offset_scale: scale of the kernel grid and offsets.

    Returns:
        ``(N, H_out, W_out, C)``; cost in :func:`dcnv3_macs`.
    """
    n, height, width, channels = x.shape
    if channels % groups:
        raise ValueError(f'DCNv3 channels ({channels}) must be divisible by '
                         f'groups ({groups}).')
    points = kernel_size * kernel_size
    h_out = dcnv3_output_size(height, kernel_size, stride, padding, dilation)
    w_out = dcnv3_output_size(width, kernel_size, stride, padding, dilation)
    expected = {'offset': (n, h_out, w_out, groups * points * 2),
                'mask': (n, h_out, w_out, groups * points)}
    for name, tensor in (('offset', offset), ('mask', mask)):
        if tuple(tensor.shape) != expected[name]:
            raise ValueError(
                f'DCNv3 {name} must have shape {expected[name]} for input '
                f'{tuple(x.shape)}, groups={groups}, kernel_size='
                f'{kernel_size}, stride={stride}, padding={padding}, '
                f'dilation={dilation}; got {tuple(tensor.shape)}.')
    return DCNv3Function.apply(
        x, offset.view(n, h_out, w_out, groups, points, 2),
        mask.view(n, h_out, w_out, groups, points), kernel_size, stride,
        padding, dilation, offset_scale)


def dcnv3_macs(output_shape: Sequence[int], points: int) -> int:
    """Multiply-accumulates of one DCNv3 sampling.

    ``MACs = N * H_out * W_out * C * K * (4 + 1)``: each of the K sampled
    points costs 4 MACs per channel for its bilinear taps and 1 for its
    weighting by the mask, the count of InternImage's ``get_flops.py``
    (``5 * n * k * c``). The input and output projections, the offset and
    mask predictors and the depth-wise conv are ordinary layers counted on
    their own.

    Args:
        output_shape: ``(N, H_out, W_out, C)``.
        points: kernel points K.
    """
    total = 5 * points
    for size in output_shape:
        total *= int(size)
    return total


class DCNv3(nn.Module):
    """InternImage's DCNv3 operator, ``(N, H, W, C) -> (N, H, W, C)``.

    ``v = input_proj(x)``; ``f = GELU(LN(DWConv(x)))`` predicts the offsets
    ``offset(f)`` and the modulation ``softmax_K(mask(f))`` of G groups
    and K = ``kernel_size ** 2`` points; the sampled ``y = dcnv3_core(v, ...)``
    (stride 1, same size) goes through ``output_proj``. With
    ``center_feature_scale``, ``y`` is first blended with ``v`` per group:
    ``y * (1 - s) + v * s``, ``s = sigmoid(f W^T + b)`` (InternImage-H/G).

    Args:
        channels: channels C (divisible by ``groups``).
        groups: offset groups G.
        kernel_size: sampling kernel size (odd).
        dw_kernel_size: kernel of the depth-wise conv (default
            ``kernel_size``).
        offset_scale: scale of the kernel grid and offsets.
        center_feature_scale: blend the output with the projected input.
    """

    def __init__(self,
                 channels: int,
                 groups: int,
                 kernel_size: int = 3,
                 dw_kernel_size: Optional[int] = None,
                 offset_scale: float = 1.,
                 center_feature_scale: bool = False) -> None:
        super().__init__()
        if channels % groups:
            raise ValueError(f'DCNv3 channels ({channels}) must be divisible '
                             f'by groups ({groups}).')
        if kernel_size % 2 == 0:
            raise ValueError('DCNv3 keeps the map size, so kernel_size must '
                             f'be odd; got {kernel_size}.')
        dw_kernel_size = dw_kernel_size or kernel_size
        self.channels = channels
        self.groups = groups
        self.kernel_size = kernel_size
        self.offset_scale = offset_scale
        points = kernel_size * kernel_size
        self.dw_conv = DepthwiseConv2d(channels, dw_kernel_size)
        self.dw_norm = nn.LayerNorm(channels, eps=1e-6)
        self.dw_act = nn.GELU()
        self.offset = PointwiseLinear(channels, groups * points * 2)
        self.mask = PointwiseLinear(channels, groups * points)
        self.input_proj = PointwiseLinear(channels, channels)
        self.output_proj = PointwiseLinear(channels, channels)
        self.center_feature_scale = center_feature_scale
        if center_feature_scale:
            self.center_feature_scale_proj_weight = nn.Parameter(
                torch.zeros(groups, channels))
            self.center_feature_scale_proj_bias = nn.Parameter(
                torch.zeros(groups))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Official init: zero offsets and uniform masks, Xavier projections.
        """
        for layer in (self.offset, self.mask):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        for layer in (self.input_proj, self.output_proj):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        value = self.input_proj(x)
        feat = self.dw_conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        feat = self.dw_act(self.dw_norm(feat))
        mask = self.mask(feat).unflatten(-1, (self.groups, -1))
        mask = mask.softmax(-1).flatten(3).to(value.dtype)
        pad = (self.kernel_size - 1) // 2
        out = dcnv3_core(value, self.offset(feat), mask, self.groups,
                         self.kernel_size, 1, pad, 1, self.offset_scale)
        if self.center_feature_scale:
            scale = torch.sigmoid(
                F.linear(feat, self.center_feature_scale_proj_weight,
                         self.center_feature_scale_proj_bias))
            scale = scale.repeat_interleave(self.channels // self.groups, -1)
            out = out * (1 - scale) + value * scale
        return self.output_proj(out)

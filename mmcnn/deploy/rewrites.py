"""Export-time substitutions: standard-ONNX forms of the ops that torch's
ONNX exporter cannot write, or writes only for the traced input size.

Like mmdeploy's rewriters, :func:`onnx_rewrites` swaps them in while a
model is exported and restores the originals afterwards; the model's own
classes (``mmcnn/models``) are untouched. Each form computes the same
function in exact arithmetic:

* HorNet's global filter ``irfft2(rfft2(x) * W)``: torch's exporter has no
  FFT. For an ``H x W`` map both transforms are linear maps, written here
  as real matrix products with DFT matrices (:func:`dft_global_filter`).
  The matrices are built in the graph from ``H`` and ``W`` (``Range``,
  ``Mod``, ``Cos``, ``Sin``), and the filter is bilinearly resized to the
  spectrum's size in the graph (``Resize``), so the export stays dynamic.
* InternImage's DCNv3 sampling: the PyTorch op is an autograd function
  around ``embedding_bag``; exported, it is the same four bilinear taps as
  row gathers (``Gather``) weighted and summed (:func:`gather_dcnv3`).
* FocalNet's patch embedding pads the input to a multiple of its stride
  only when needed, a Python branch that tracing freezes at the traced
  size; exported, it always pads (by zero rows when none are needed).
* adaptive average pooling (mmseg's PPM in UperNet, pool scales 1, 2, 3,
  6): the exporter needs the input size fixed and a multiple of the
  output size; exported, it is ``P_H x P_W^T`` with averaging matrices
  built in the graph from the input size (the same windows, ``floor(i
  H / o)`` to ``ceil((i + 1) H / o)``), so it stays dynamic
  (:func:`pooling_matrix`).
* GRN (ConvNeXt V2, UniRepLKNet): ``||x||_2`` over H and W sums squares
  that pass float16's 65504 already for values of 16 over a 16x16 map;
  exported, it is ``m * sqrt(mean((x / m)^2))`` with ``m = max|x|`` per
  channel, whose squares stay in [0, 1] (:func:`finite_grn_scale`), the
  ``sqrt(H W)`` factor common to every channel cancelling in the
  normalisation.
* mmseg's ``Upsample`` (Semantic FPN's scale heads) computes its output
  size as ``int(side * scale_factor)`` in Python, which tracing freezes at
  the traced size; exported with an integer factor, the size is
  ``side * factor`` in the graph (:func:`_mmseg_upsample`).
* ``torch.addcmul`` (residuals, FocalNet's gates, MetaFormer's scales,
  GRN): the exporter writes it with a cast to float32, which breaks a
  float16 graph; exported, it is a product and a sum.
"""
import contextlib
import math
from typing import Any, Callable, Dict, Iterator, List, Tuple

import torch
import torch.nn.functional as F
from mmseg.models.utils import Upsample as MMSegUpsample
from torch import nn

from mmcnn.models.backbones.focalnet import PatchEmbed
from mmcnn.models.backbones.hornet import GlobalLocalFilter
from mmcnn.models.layers import dcnv3 as dcnv3_module
from mmcnn.models.layers.grn import GRN


def _dft_angles(size: int, count: int, dtype: torch.dtype) -> torch.Tensor:
    """``2 pi k n / size`` for ``k < count``, ``n < size`` as ``(count,
    size)``; ``k n`` is reduced modulo ``size`` in integers first, so the
    angle stays below ``2 pi`` and exact to float rounding. (Traced, the
    sizes are graph values, so the matrices follow the input size.)"""
    n = torch.arange(size, dtype=torch.int64)
    k = torch.arange(count, dtype=torch.int64)
    turns = torch.remainder(k.unsqueeze(1) * n.unsqueeze(0), size)
    return turns.to(dtype) * (2 * math.pi / size)


def dft_global_filter(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``irfft2(rfft2(x) * W)`` (orthonormal, over the last two axes) as
    real matrix products.

    Args:
        x: ``(N, C, H, W)`` real map.
        weight: ``(C, H, W // 2 + 1, 2)`` complex filter as (real, imag).

    ``rfft`` along W: ``A = x (C_W - i S_W)^T``; ``fft`` along H: ``Z =
    (C_H - i S_H) A``; product with the filter; inverse along H with the
    conjugate matrix; the inverse real transform along W weights every
    bin but DC and Nyquist twice and drops the imaginary parts of those
    two (their sines vanish). All matrices carry the ``1 / sqrt(size)`` of
    ``norm='ortho'``.
    """
    height, width = x.shape[-2], x.shape[-1]
    bins = width // 2 + 1
    scale_h = torch.rsqrt(torch.as_tensor(height, dtype=x.dtype))
    scale_w = torch.rsqrt(torch.as_tensor(width, dtype=x.dtype))
    angle_w = _dft_angles(width, bins, x.dtype)
    cos_w, sin_w = torch.cos(angle_w) * scale_w, torch.sin(angle_w) * scale_w
    angle_h = _dft_angles(height, height, x.dtype)
    cos_h, sin_h = torch.cos(angle_h) * scale_h, torch.sin(angle_h) * scale_h
    real = torch.matmul(x, cos_w.t())
    imag = -torch.matmul(x, sin_w.t())
    real, imag = (torch.matmul(cos_h, real) + torch.matmul(sin_h, imag),
                  torch.matmul(cos_h, imag) - torch.matmul(sin_h, real))
    w_real, w_imag = weight[..., 0], weight[..., 1]
    real, imag = real * w_real - imag * w_imag, real * w_imag + imag * w_real
    real, imag = (torch.matmul(cos_h, real) - torch.matmul(sin_h, imag),
                  torch.matmul(cos_h, imag) + torch.matmul(sin_h, real))
    k = torch.arange(bins, dtype=torch.int64)
    twice = ((k > 0) & (2 * k != width)).to(x.dtype) + 1
    weighted = twice.unsqueeze(1)
    return (torch.matmul(real, cos_w * weighted) -
            torch.matmul(imag, sin_w * weighted))


def _hornet_global_filter(module: GlobalLocalFilter,
                          x: torch.Tensor) -> torch.Tensor:
    """:meth:`GlobalLocalFilter.global_filter` through
    :func:`dft_global_filter`, the filter resized in the graph."""
    height, width = x.shape[2], x.shape[3]
    weight = module.complex_weight.permute(3, 0, 1, 2)
    weight = F.interpolate(weight, size=(height, width // 2 + 1),
                           mode='bilinear', align_corners=True)
    out = dft_global_filter(x.float(), weight.permute(1, 2, 3, 0))
    return out.to(x.dtype)


def gather_dcnv3(x: torch.Tensor, offset: torch.Tensor, mask: torch.Tensor,
                 kernel_size: int, stride: int, padding: int, dilation: int,
                 offset_scale: float) -> torch.Tensor:
    """DCNv3 sampling as gathers: the four bilinear taps of
    :func:`mmcnn.models.layers.dcnv3._bilinear_taps` read rows of the
    zero-padded ``(N * (H + 2) * (W + 2) * G, C / G)`` table, weighted by
    the tap weight times the modulation and summed over taps and kernel
    points. Shapes as :class:`mmcnn.models.layers.dcnv3.DCNv3Function`."""
    n, _, _, channels = x.shape
    _, h_out, w_out, groups, points = mask.shape
    table = F.pad(x, (0, 0, 1, 1, 1, 1)).reshape(-1, channels // groups)
    out = None
    for index, weight in dcnv3_module._bilinear_taps(
            x, offset, mask, kernel_size, stride, padding, dilation,
            offset_scale):
        rows = torch.index_select(table, 0, index.reshape(-1))
        rows = rows.reshape(-1, points, channels // groups)
        tap = torch.matmul(weight.to(x.dtype).reshape(-1, 1, points), rows)
        out = tap if out is None else out + tap
    return out.reshape(n, h_out, w_out, channels)


class _GatherDCNv3Function:
    """Stands in for ``DCNv3Function`` during export: ``apply`` runs
    :func:`gather_dcnv3`."""

    apply = staticmethod(gather_dcnv3)


def _addcmul(input: torch.Tensor, tensor1: torch.Tensor,
             tensor2: torch.Tensor, *, value: float = 1.) -> torch.Tensor:
    """``input + value * tensor1 * tensor2`` as a product and a sum: the
    exporter writes ``torch.addcmul`` with a cast to float32, which breaks
    a float16 graph (its next LayerNormalization sees float32)."""
    product = tensor1 * tensor2
    return input + (product if value == 1 else value * product)


def _focalnet_patch_embed(module: PatchEmbed,
                          x: torch.Tensor) -> torch.Tensor:
    """:class:`PatchEmbed` with its padding always in the graph."""
    if module.pad_input:
        stride = module.stride
        pad_h = (stride - x.shape[2] % stride) % stride
        pad_w = (stride - x.shape[3] % stride) % stride
        x = F.pad(x, (0, pad_w, 0, pad_h))
    return module.norm(module.proj(x).permute(0, 2, 3, 1))


def pooling_matrix(size: torch.Tensor, out: int,
                   dtype: torch.dtype) -> torch.Tensor:
    """``(out, size)`` matrix of adaptive average pooling along one axis:
    row ``i`` averages inputs ``floor(i size / out)`` to ``ceil((i + 1)
    size / out) - 1``, as ``F.adaptive_avg_pool2d``."""
    rows = torch.arange(out, dtype=torch.int64).unsqueeze(1)
    cols = torch.arange(size, dtype=torch.int64).unsqueeze(0)
    start = torch.div(rows * size, out, rounding_mode='floor')
    end = torch.div((rows + 1) * size + out - 1, out, rounding_mode='floor')
    inside = ((cols >= start) & (cols < end)).to(dtype)
    return inside / (end - start).to(dtype)


def _adaptive_avg_pool(module: nn.AdaptiveAvgPool2d,
                       x: torch.Tensor) -> torch.Tensor:
    """:class:`nn.AdaptiveAvgPool2d` as two matrix products (a mean for a
    ``1 x 1`` output)."""
    out_h, out_w = _pair(module.output_size, x)
    if out_h == out_w == 1:
        return x.mean(dim=(2, 3), keepdim=True)
    rows = pooling_matrix(x.shape[2], out_h, x.dtype)
    cols = pooling_matrix(x.shape[3], out_w, x.dtype)
    return torch.matmul(torch.matmul(rows, x), cols.t())


def _pair(size: Any, x: torch.Tensor) -> Tuple[int, int]:
    """An adaptive pooling ``output_size`` as two ints (``None`` keeps the
    input's side, which must then be static)."""
    if isinstance(size, int):
        return size, size
    return tuple(int(x.shape[2 + i]) if s is None else s
                 for i, s in enumerate(size))


def _mmseg_upsample(module: MMSegUpsample, x: torch.Tensor) -> torch.Tensor:
    """mmseg's ``Upsample`` with an integer ``scale_factor``: the output
    size ``side * factor`` as graph values (equal to mmseg's ``int(side *
    factor)``); a fixed size or another factor runs mmseg's forward."""
    factor = module.scale_factor
    if module.size or not isinstance(factor, float) or factor % 1:
        return type(module).forward(module, x)
    size = [side * int(factor) for side in x.shape[-2:]]
    return F.interpolate(x, size=size, mode=module.mode,
                         align_corners=module.align_corners)


def finite_grn_scale(module: GRN, x: torch.Tensor) -> torch.Tensor:
    """:meth:`GRN.scale` of ``(N, H, W, C)`` with every intermediate
    bounded by ``max|x|``: ``G_c / sqrt(H W) = m_c sqrt(mean((x / m_c)^2))``
    and ``N_c = g_c / (mean_c g + eps / sqrt(H W))``."""
    peak = x.abs().amax(dim=(1, 2), keepdim=True)
    peak = torch.where(peak > 0, peak, torch.ones_like(peak))
    rms = peak * (x / peak).square().mean(dim=(1, 2), keepdim=True).sqrt()
    area = torch.as_tensor(x.shape[1] * x.shape[2], dtype=x.dtype)
    eps = module.eps * torch.rsqrt(area)
    normed = rms / (rms.mean(dim=-1, keepdim=True) + eps)
    return normed * module.gamma + 1


# Module class (subclasses included) -> (method name, ONNX form taking the
# module and the method's arguments) pairs.
METHOD_REWRITES: Dict[type, List[Tuple[str, Callable[..., Any]]]] = {
    GlobalLocalFilter: [('global_filter', _hornet_global_filter)],
    PatchEmbed: [('forward', _focalnet_patch_embed)],
    GRN: [('scale', finite_grn_scale)],
    nn.AdaptiveAvgPool2d: [('forward', _adaptive_avg_pool)],
    MMSegUpsample: [('forward', _mmseg_upsample)],
}


# (namespace, attribute, ONNX form): functions replaced during the export.
FUNCTION_REWRITES: List[Tuple[Any, str, Any]] = [
    (dcnv3_module, 'DCNv3Function', _GatherDCNv3Function),
    (torch, 'addcmul', _addcmul),
]


@contextlib.contextmanager
def onnx_rewrites(model: nn.Module) -> Iterator[List[str]]:
    """Within the block, the modules of ``model`` listed in
    :data:`METHOD_REWRITES` run their ONNX forms, and the functions of
    :data:`FUNCTION_REWRITES` are replaced (DCNv3 samples through
    :func:`gather_dcnv3`). Yields the names of the rewritten modules, then
    of the replaced functions (``'torch.addcmul'``); everything is restored
    on exit."""
    patched: List[Tuple[nn.Module, str]] = []
    names: List[str] = []
    originals = [(space, attr, getattr(space, attr))
                 for space, attr, _ in FUNCTION_REWRITES]
    try:
        for name, module in model.named_modules():
            rewrites = next((entry for cls, entry in METHOD_REWRITES.items()
                             if isinstance(module, cls)), None)
            if rewrites is None:
                continue
            for method, form in rewrites:
                setattr(module, method, form.__get__(module))
                patched.append((module, method))
            names.append(name)
        for space, attr, form in FUNCTION_REWRITES:
            setattr(space, attr, form)
            names.append(f'{space.__name__}.{attr}')
        yield names
    finally:
        for space, attr, original in originals:
            setattr(space, attr, original)
        for module, method in patched:
            delattr(module, method)

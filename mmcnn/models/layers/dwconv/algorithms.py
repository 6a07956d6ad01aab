"""Exact algorithms for a depth-wise convolution.

A depth-wise convolution (stride 1: ``y[n, c, i, j] = bias[c] +
sum_{u, v} w[c, u, v] * x[n, c, i + u * d - p, j + v * d - p]``) can be
computed in several ways that agree up to float rounding but differ by an
order of magnitude in speed on a CPU:

* ``'direct'``: ``F.conv2d`` on the input in its own memory layout (on a
  CPU, NCHW large kernels fall back to an im2col GEMM in oneDNN);
* ``'channels_last'``: the input converted to channels-last (a no-op when
  it already is), where oneDNN runs its batch-reduce depth-wise kernel; the
  output stays channels-last, so a surrounding channels-last model makes
  no layout round trip;
* ``'channels_last_padded'``: the same with the kernel zero-padded by one
  column on each side (the padding grows by one dilation step, so the
  output is unchanged): oneDNN's kernel is several times slower for some
  widths (13 in particular) than for the next odd one;
* ``'channels_last_wgrad'``: the ``'channels_last'`` forward with its own
  backward pass (stride 1): the input gradient is the depth-wise
  convolution of the output gradient with the flipped kernel, the kernel
  gradient ``sum_n corr(x_n, g_n)`` one depth-wise convolution of the input
  with the batch folded into the channels and the output gradient as a
  ``H' x W'`` kernel; oneDNN's own kernel gradient runs at a few GMAC/s on
  channels-last maps (training only);
* ``'compiled_wgrad'``: the same with the kernel gradient from mmcnn's
  compiled CPU kernel (:mod:`mmcnn.ops`, ``csrc/dwconv_wgrad.cpp``: one
  task per register of channels streaming the rows, eight column taps
  accumulated in registers; 40-52 GMAC/s on 2 threads for 7x7 kernels
  where the folded convolution reaches 8-25), when it is built (training
  only);
* ``'compiled'``: mmcnn's compiled CPU kernel (:mod:`mmcnn.ops`,
  ``csrc/dwconv_forward.cpp``; stride 1, inference only, when built): one
  register of channels per output pixel accumulated over every tap, the
  bias and, when the caller asks for it, an exact GELU applied before the
  single store (3x3 with GELU on 8x256x56x56, MogaNet-T's widest FFN
  map: 1.24x oneDNN's convolution plus in-place GELU; slower than oneDNN
  on small maps, where the trial keeps oneDNN);
* ``'fft'``: the convolution theorem, ``y = crop(irfft2(rfft2(x) *
  rfft2(flip(w))))`` on a ``L1 x L2`` grid with ``L >= H + p`` (no
  wrap-around reaches the kept outputs) and an analytic backward pass
  (the input gradient is ``irfft2(G * conj(K))``, the kernel gradient
  ``irfft2(sum_n conj(X_n) * G_n)``, both sharing ``G = rfft2(grad)``):
  a cost independent of the kernel size, for large kernels and training.

Taps that can only ever see zero padding (a kernel wider than ``2 H - 1``)
are cropped first, which is exact for every algorithm.
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

from mmcnn.ops import cpu_ops
from ..inplace import activate_
from ..layout import is_channels_last

Pair = Tuple[int, int]
_GELU = torch.nn.GELU()
ALGORITHMS = ('direct', 'channels_last', 'channels_last_padded',
              'channels_last_wgrad', 'compiled_wgrad', 'compiled', 'fft')


def pair(value: Union[int, Sequence[int]]) -> Pair:
    """``(v, v)`` for an int, else the first two entries as ints."""
    if isinstance(value, int):
        return value, value
    return int(value[0]), int(value[1])


def same_padding(kernel_size: Pair, dilation: Pair) -> Pair:
    """Per-side padding keeping the size at stride 1 (odd dilated kernels).

    Raises:
        ValueError: an even dilated kernel, which would need asymmetric
            padding.
    """
    sizes = [d * (k - 1) + 1 for k, d in zip(kernel_size, dilation)]
    if any(size % 2 == 0 for size in sizes):
        raise ValueError(f'"same" padding needs odd dilated kernel sizes, '
                         f'got {sizes[0]}x{sizes[1]}.')
    return sizes[0] // 2, sizes[1] // 2


def fft_size(n: int) -> int:
    """The smallest ``m >= n`` whose prime factors are 2, 3, 5 and 7."""
    while True:
        m = n
        for p in (2, 3, 5, 7):
            while m % p == 0:
                m //= p
        if m == 1:
            return n
        n += 1


def crop_dead_taps(weight: torch.Tensor, size: Sequence[int],
                   padding: Pair, dilation: Pair
                   ) -> Tuple[torch.Tensor, Pair]:
    """Drop the outer kernel taps that can only see zero padding.

    At stride 1, tap ``a`` of an axis of length ``H`` reads input rows
    ``a * d - p .. a * d - p + H_out - 1``; taps reading only padding on
    both ends are removed symmetrically and the padding reduced by as many
    dilation steps, which leaves the output unchanged.

    Returns:
        The (possibly smaller) kernel and its padding.
    """
    crops, new_padding = [], []
    for axis in range(2):
        k, n = weight.shape[2 + axis], size[axis]
        p, d = padding[axis], dilation[axis]
        n_out = n + 2 * p - d * (k - 1)
        lead = sum(1 for a in range(k) if a * d - p + n_out - 1 < 0)
        trail = sum(1 for a in range(k) if a * d - p > n - 1)
        crop = min(lead, trail)
        crops.append(crop)
        new_padding.append(p - crop * d)
    if crops == [0, 0]:
        return weight, padding
    ch, cw = crops
    weight = weight[:, :, ch:weight.shape[2] - ch, cw:weight.shape[3] - cw]
    return weight, (new_padding[0], new_padding[1])


def dilate(weight: torch.Tensor, dilation: Pair) -> torch.Tensor:
    """``(C, 1, kh, kw)`` kernel -> dense ``(C, KH, KW)`` kernel."""
    dh, dw = dilation
    weight = weight[:, 0]
    if dilation == (1, 1):
        return weight
    c, kh, kw = weight.shape
    dense = weight.new_zeros(c, dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    dense[:, ::dh, ::dw] = weight
    return dense


class FFTPlan:
    """Grid sizes and crop offsets of one FFT depth-wise convolution."""

    def __init__(self, x_shape: torch.Size, kernel_size: Pair,
                 padding: Pair) -> None:
        _, _, self.height, self.width = x_shape
        self.kh, self.kw = kernel_size
        ph, pw = padding
        self.out_h = self.height + 2 * ph - self.kh + 1
        self.out_w = self.width + 2 * pw - self.kw + 1
        self.grid = (fft_size(max(self.height + ph, self.kh)),
                     fft_size(max(self.width + pw, self.kw)))
        self.shift = (self.kh - 1 - ph, self.kw - 1 - pw)

    def pad(self, x: torch.Tensor, offset: Pair = (0, 0)) -> torch.Tensor:
        """``x`` placed at ``offset`` in a zero ``L1 x L2`` NCHW grid."""
        n, c, h, w = x.shape
        grid = x.new_zeros(n, c, *self.grid)
        grid[:, :, offset[0]:offset[0] + h, offset[1]:offset[1] + w] = x
        return grid

    def kernel_spectrum(self, dense: torch.Tensor) -> torch.Tensor:
        return torch.fft.rfft2(dense.flip(-2, -1), s=self.grid)

    def crop_output(self, full: torch.Tensor) -> torch.Tensor:
        sh, sw = self.shift
        return full[..., sh:sh + self.out_h, sw:sw + self.out_w]


def _bias_into(result: torch.Tensor, bias: Optional[torch.Tensor],
               channels_last: bool) -> torch.Tensor:
    """Copy ``result`` into a fresh tensor of the wanted layout, adding the
    per-channel ``bias`` in the same pass."""
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    out = torch.empty(result.shape, dtype=result.dtype, device=result.device,
                      memory_format=fmt)
    if bias is None:
        return out.copy_(result)
    return torch.add(result, bias.view(1, -1, 1, 1), out=out)


class _FFTDepthwiseConv(torch.autograd.Function):
    """Stride-1 depth-wise convolution by the convolution theorem."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor,
                bias: Optional[torch.Tensor], padding: Pair, dilation: Pair,
                spectrum: Optional[torch.Tensor]) -> torch.Tensor:
        dense = dilate(weight, dilation)
        plan = FFTPlan(x.shape, dense.shape[-2:], padding)
        if spectrum is None:
            spectrum = plan.kernel_spectrum(dense)
        x_hat = torch.fft.rfft2(plan.pad(x))
        needs_input = ctx.needs_input_grad
        if needs_input[0] or needs_input[1]:
            ctx.save_for_backward(x_hat if needs_input[1] else None,
                                  spectrum if needs_input[0] else None)
            product = x_hat * spectrum
        else:
            product = x_hat.mul_(spectrum)
        ctx.plan, ctx.dilation = plan, dilation
        ctx.channels_last = is_channels_last(x)
        full = torch.fft.irfft2(product, s=plan.grid)
        return _bias_into(plan.crop_output(full), bias, ctx.channels_last)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x_hat, spectrum = ctx.saved_tensors
        plan, (dh, dw) = ctx.plan, ctx.dilation
        needs = ctx.needs_input_grad
        grad_x = grad_w = grad_b = None
        if needs[2]:
            grad_b = grad.sum((0, 2, 3))
        if not (needs[0] or needs[1]):
            return grad_x, grad_w, grad_b, None, None, None
        grad_hat = torch.fft.rfft2(plan.pad(grad, plan.shift))
        if needs[0]:
            full = torch.fft.irfft2(grad_hat * spectrum.conj(), s=plan.grid)
            grad_x = _bias_into(full[..., :plan.height, :plan.width], None,
                                ctx.channels_last)
        if needs[1]:
            corr = (grad_hat * x_hat.conj()).sum(0)
            full = torch.fft.irfft2(corr, s=plan.grid)
            dense = full[:, :plan.kh, :plan.kw].flip(-2, -1)
            grad_w = dense[:, ::dh, ::dw].unsqueeze(1).contiguous()
        return grad_x, grad_w, grad_b, None, None, None


def fft_depthwise_conv2d(x: torch.Tensor,
                         weight: torch.Tensor,
                         bias: Optional[torch.Tensor] = None,
                         padding: Pair = (0, 0),
                         dilation: Pair = (1, 1),
                         spectrum: Optional[torch.Tensor] = None
                         ) -> torch.Tensor:
    """Stride-1 depth-wise ``conv2d`` through 2-D real FFTs.

    Args:
        x: ``(N, C, H, W)`` input (any memory layout; the output keeps it).
        weight: ``(C, 1, kh, kw)`` kernel.
        bias: optional ``(C,)`` bias.
        padding: zero padding per side, at most the dilated kernel size
            minus one.
        dilation: kernel dilation.
        spectrum: the kernel's spectrum for this input size, if cached
            (see :meth:`DepthwiseConv2d.forward`); not differentiated.

    An empty batch returns the empty output of ``F.conv2d``.
    """
    if x.shape[0] == 0:
        return F.conv2d(x, weight, bias, 1, padding, dilation,
                        weight.shape[0])
    return _FFTDepthwiseConv.apply(x, weight, bias, padding, dilation,
                                   spectrum)


class _WgradDepthwiseConv(torch.autograd.Function):
    """Stride-1 depth-wise convolution on channels-last maps whose backward
    pass runs as two forward depth-wise convolutions, or as one and the
    compiled kernel gradient (see the module doc)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor,
                bias: Optional[torch.Tensor], padding: Pair,
                dilation: Pair, compiled: bool) -> torch.Tensor:
        x = x.contiguous(memory_format=torch.channels_last)
        ctx.save_for_backward(x, weight)
        ctx.padding, ctx.dilation = padding, dilation
        ctx.compiled = cpu_ops() if compiled else None
        return F.conv2d(x, weight, bias, 1, padding, dilation,
                        weight.shape[0])

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: torch.Tensor):
        x, weight = ctx.saved_tensors
        (ph, pw), (dh, dw) = ctx.padding, ctx.dilation
        n, c, h, w = x.shape
        kh, kw = weight.shape[-2:]
        needs = ctx.needs_input_grad
        grad = grad.contiguous(memory_format=torch.channels_last)
        grad_x = grad_w = grad_b = None
        if needs[0]:
            transposed = (dh * (kh - 1) - ph, dw * (kw - 1) - pw)
            grad_x = F.conv2d(grad, weight.flip(-2, -1), None, 1,
                              transposed, ctx.dilation, c)
        if needs[1] and ctx.compiled is not None:
            grad_w = ctx.compiled.dwconv_weight_grad(x, grad, kh, kw, ph, pw,
                                                     dh, dw)
        elif needs[1]:
            folded = x.permute(2, 3, 0, 1).reshape(1, h, w, n * c)
            kernel = grad.contiguous().view(n * c, 1, *grad.shape[-2:])
            corr = F.conv2d(folded.permute(0, 3, 1, 2), kernel, None,
                            ctx.dilation, ctx.padding, 1, n * c)
            grad_w = corr.view(n, c, kh, kw).sum(0).unsqueeze(1)
        if needs[2]:
            grad_b = grad.sum((0, 2, 3))
        return grad_x, grad_w, grad_b, None, None, None


def _needs_grad(*tensors: Optional[torch.Tensor]) -> bool:
    return torch.is_grad_enabled() and any(
        t is not None and t.requires_grad for t in tensors)


def run_algorithm(algorithm: str, x: torch.Tensor, weight: torch.Tensor,
                  bias: Optional[torch.Tensor], stride: Pair, padding: Pair,
                  dilation: Pair, spectrum: Optional[torch.Tensor] = None,
                  gelu: bool = False) -> torch.Tensor:
    """The depth-wise convolution computed by ``algorithm`` (one of
    :data:`ALGORITHMS`, applicable to this call), followed by an exact
    GELU when ``gelu`` (fused into the ``'compiled'`` kernel, in place
    after the others when autograd is off)."""
    ops = cpu_ops() if algorithm == 'compiled' else None
    if ops is not None and not _needs_grad(x, weight, bias):
        return ops.dwconv_forward(x, weight, bias, *padding, *dilation, gelu)
    out = _convolve('channels_last' if algorithm == 'compiled' else
                    algorithm, x, weight, bias, stride, padding, dilation,
                    spectrum)
    return activate_(_GELU, out) if gelu else out


def _convolve(algorithm: str, x: torch.Tensor, weight: torch.Tensor,
              bias: Optional[torch.Tensor], stride: Pair, padding: Pair,
              dilation: Pair,
              spectrum: Optional[torch.Tensor] = None) -> torch.Tensor:
    groups = weight.shape[0]
    if algorithm == 'fft':
        return fft_depthwise_conv2d(x, weight, bias, padding, dilation,
                                    spectrum)
    if algorithm == 'direct':
        return F.conv2d(x, weight, bias, stride, padding, dilation, groups)
    if algorithm in ('channels_last_wgrad', 'compiled_wgrad'):
        return _WgradDepthwiseConv.apply(x, weight, bias, padding, dilation,
                                         algorithm == 'compiled_wgrad')
    x = x.contiguous(memory_format=torch.channels_last)
    if algorithm == 'channels_last_padded':
        weight = F.pad(weight, (1, 1))
        padding = (padding[0], padding[1] + dilation[1])
    return F.conv2d(x, weight, bias, stride, padding, dilation, groups)


def supported_algorithms(x: torch.Tensor, weight: torch.Tensor,
                         stride: Pair, padding: Pair,
                         dilation: Pair) -> List[str]:
    """The algorithms that can compute this depth-wise convolution."""
    names = ['direct', 'channels_last', 'channels_last_padded']
    kh, kw = weight.shape[-2:]
    dense = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    if stride == (1, 1) and padding[0] < dense[0] and padding[1] < dense[1]:
        names.append('channels_last_wgrad')
        if x.dtype in (torch.float32, torch.float64):
            if x.device.type == 'cpu' and cpu_ops() is not None:
                names += ['compiled_wgrad', 'compiled']
            names.append('fft')
    return names

"""Depth-wise convolution that runs the fastest of several exact algorithms.

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
* ``'fft'``: the convolution theorem, ``y = crop(irfft2(rfft2(x) *
  rfft2(flip(w))))`` on a ``L1 x L2`` grid with ``L >= H + p`` (no
  wrap-around reaches the kept outputs) and an analytic backward pass
  (the input gradient is ``irfft2(G * conj(K))``, the kernel gradient
  ``irfft2(sum_n conj(X_n) * G_n)``, both sharing ``G = rfft2(grad)``):
  a cost independent of the kernel size, for large kernels and training.

Taps that can only ever see zero padding (a kernel wider than ``2 H - 1``)
are cropped first, which is exact for every algorithm.

**Selection.** ``'auto'`` picks, per (device, dtype, kernel, dilation,
stride, padding, input H and W, channels, batch bucket, input layout,
inference or training), the fastest applicable algorithm by a quick timed
trial on the first call with that key (the minimum of up to three runs of
each candidate on the real input, forward only for inference, forward and
backward when gradients are needed; a candidate whose first run is four
times slower than the best so far is dropped early; on a CPU a run counts
the smaller of its wall time and its CPU time per thread, which discounts
time other processes held the cores). The choice is cached for the
process (:func:`algorithm_cache`). Like cuDNN's benchmark mode, a timed
trial can pick differently from run to run, and the algorithms differ in
rounding: with ``torch.use_deterministic_algorithms(True)`` (what MMEngine's
``randomness=dict(deterministic=True)`` sets) there is no trial and the
first candidate of a fixed, shape-based order runs, so that two runs (or a
run and its resumption) compute bit-identical results. Traced, scripted,
compiled and meta-device calls always use ``'direct'``, so FLOP counters
and exporters see a plain convolution. :func:`force_algorithm` overrides
the choice (for tests and benchmarks).

On a 2-core AVX-512 CPU, inference mostly picks the channels-last kernels
(at 31x31 and 51x51 they run at the core's peak; ``'fft'`` is within
1.5x of them), training the FFT for kernels of 13 and more (3-35x faster
than oneDNN's backward pass, whose weight gradient is an im2col GEMM) and
often ``'channels_last_wgrad'`` for smaller ones (every 7x7 of ConvNeXt-T
and ConvFormer-S18, FocalNet-T's 5x5; oneDNN's kernel gradient of a 7x7
over 8x256x28x28: 12.0 ms, folded into one depth-wise convolution:
6.4 ms).
"""
import contextlib
import math
import time
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn

Pair = Tuple[int, int]
ALGORITHMS = ('direct', 'channels_last', 'channels_last_padded',
              'channels_last_wgrad', 'fft')

_CHOICES: Dict[tuple, str] = {}
_TIMINGS: Dict[tuple, Dict[str, float]] = {}
_FORCED: List[Optional[str]] = [None]
_TRIAL_RUNS = 3
_EARLY_DROP = 4.


def _pair(value: Union[int, Sequence[int]]) -> Pair:
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


def to_channels_last(x: torch.Tensor,
                     enabled: Optional[bool] = None) -> torch.Tensor:
    """``x`` in channels-last memory format if ``enabled`` (``None``: when
    it is on a CPU), otherwise ``x`` itself; only 4-D tensors change."""
    if enabled is None:
        enabled = x.device.type == 'cpu'
    if not enabled or x.dim() != 4:
        return x
    return x.contiguous(memory_format=torch.channels_last)


def _is_channels_last(x: torch.Tensor) -> bool:
    return (x.is_contiguous(memory_format=torch.channels_last)
            and not x.is_contiguous())


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


def _dilate(weight: torch.Tensor, dilation: Pair) -> torch.Tensor:
    """``(C, 1, kh, kw)`` kernel -> dense ``(C, KH, KW)`` kernel."""
    dh, dw = dilation
    weight = weight[:, 0]
    if dilation == (1, 1):
        return weight
    c, kh, kw = weight.shape
    dense = weight.new_zeros(c, dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    dense[:, ::dh, ::dw] = weight
    return dense


class _FFTPlan:
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
        dense = _dilate(weight, dilation)
        plan = _FFTPlan(x.shape, dense.shape[-2:], padding)
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
        ctx.channels_last = _is_channels_last(x)
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
    pass runs as two forward depth-wise convolutions (see the module
    doc)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor,
                bias: Optional[torch.Tensor], padding: Pair,
                dilation: Pair) -> torch.Tensor:
        x = x.contiguous(memory_format=torch.channels_last)
        ctx.save_for_backward(x, weight)
        ctx.padding, ctx.dilation = padding, dilation
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
        if needs[1]:
            folded = x.permute(2, 3, 0, 1).reshape(1, h, w, n * c)
            kernel = grad.contiguous().view(n * c, 1, *grad.shape[-2:])
            corr = F.conv2d(folded.permute(0, 3, 1, 2), kernel, None,
                            ctx.dilation, ctx.padding, 1, n * c)
            grad_w = corr.view(n, c, kh, kw).sum(0).unsqueeze(1)
        if needs[2]:
            grad_b = grad.sum((0, 2, 3))
        return grad_x, grad_w, grad_b, None, None


def _run(algorithm: str, x: torch.Tensor, weight: torch.Tensor,
         bias: Optional[torch.Tensor], stride: Pair, padding: Pair,
         dilation: Pair,
         spectrum: Optional[torch.Tensor] = None) -> torch.Tensor:
    groups = weight.shape[0]
    if algorithm == 'fft':
        return fft_depthwise_conv2d(x, weight, bias, padding, dilation,
                                    spectrum)
    if algorithm == 'direct':
        return F.conv2d(x, weight, bias, stride, padding, dilation, groups)
    if algorithm == 'channels_last_wgrad':
        return _WgradDepthwiseConv.apply(x, weight, bias, padding, dilation)
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
            names.append('fft')
    return names


def _candidates(x: torch.Tensor, weight: torch.Tensor, stride: Pair,
                padding: Pair, dilation: Pair, train: bool) -> List[str]:
    """Algorithms worth a trial on this device, likeliest winner first.

    On a CPU ``'direct'`` is tried last and only for NCHW inputs: oneDNN
    runs NCHW depth-wise convolutions through layout reorders (and an
    im2col GEMM for wide kernels), which can still beat converting a small
    map to channels-last and back; on a channels-last input it equals
    ``'channels_last'``. The padded kernel is tried from width 5 and for
    inference only (its larger weight gradient makes training slower),
    ``'channels_last_wgrad'`` for training only (its forward is
    ``'channels_last'``), the FFT from 49 taps.
    """
    supported = supported_algorithms(x, weight, stride, padding, dilation)
    taps = weight.shape[-2] * weight.shape[-1]
    if x.device.type == 'cpu':
        names = ['channels_last']
        if weight.shape[-1] >= 5 and not train:
            names.append('channels_last_padded')
        if train and 'channels_last_wgrad' in supported:
            names.append('channels_last_wgrad')
        if not _is_channels_last(x):
            names.append('direct')
    elif x.device.type == 'cuda':
        names = ['direct', 'channels_last']
    else:
        return ['direct']
    if 'fft' in supported and taps >= 49:
        names.insert(0 if taps >= 400 else len(names), 'fft')
    return names


def _bucket(batch: int) -> int:
    return 1 << max(batch - 1, 0).bit_length()


def _time_once(algorithm: str, x: torch.Tensor, weight: torch.Tensor,
               bias: Optional[torch.Tensor], stride: Pair, padding: Pair,
               dilation: Pair, train: bool) -> float:
    """Seconds of one call (with its backward pass when ``train``).

    On a CPU, the smaller of the wall time and the process's CPU time per
    thread, so that time the cores spent on other processes is not
    counted.
    """
    on_cpu = x.device.type == 'cpu'
    sync = (lambda: None) if on_cpu else torch.cuda.synchronize
    leaves = [t.detach().requires_grad_(t.requires_grad) if t is not None
              else None for t in (x, weight, bias)]
    wanted = [t for t in leaves if t is not None and t.requires_grad]
    with torch.set_grad_enabled(train):
        sync()
        wall, cpu = time.perf_counter(), time.process_time()
        out = _run(algorithm, *leaves, stride, padding, dilation)
        if train:
            torch.autograd.grad(out, wanted, torch.ones_like(out))
        sync()
        wall = time.perf_counter() - wall
        cpu = (time.process_time() - cpu) / torch.get_num_threads()
    return min(wall, cpu) if on_cpu else wall


def select_algorithm(x: torch.Tensor, weight: torch.Tensor,
                     bias: Optional[torch.Tensor], stride: Pair,
                     padding: Pair, dilation: Pair) -> str:
    """The cached fastest algorithm for this call, timed on first use
    (in deterministic mode: the first candidate, untimed)."""
    train = torch.is_grad_enabled() and (
        x.requires_grad or weight.requires_grad
        or (bias is not None and bias.requires_grad))
    n, c, h, w = x.shape
    key = (x.device.type, x.device.index, x.dtype,
           tuple(weight.shape[-2:]), dilation, stride, padding, h, w, c,
           _bucket(n), _is_channels_last(x), train)
    choice = _CHOICES.get(key)
    if choice is not None:
        return choice
    candidates = _candidates(x, weight, stride, padding, dilation, train)
    timings: Dict[str, float] = {}
    timed = not torch.are_deterministic_algorithms_enabled()
    if len(candidates) > 1 and timed:
        for name in candidates:
            best = math.inf
            for run in range(_TRIAL_RUNS):
                best = min(best, _time_once(name, x, weight, bias, stride,
                                            padding, dilation, train))
                fastest = min(timings.values(), default=math.inf)
                if run == 0 and best > _EARLY_DROP * fastest:
                    break
            timings[name] = best
    choice = min(candidates, key=lambda name: timings.get(name, 0.))
    _CHOICES[key], _TIMINGS[key] = choice, timings
    return choice


def algorithm_cache() -> Dict[tuple, Tuple[str, Dict[str, float]]]:
    """A copy of the cached choices: key -> (algorithm, trial seconds)."""
    return {k: (v, dict(_TIMINGS.get(k, {}))) for k, v in _CHOICES.items()}


def clear_algorithm_cache() -> None:
    """Forget every cached choice (the next calls time their trials
    again)."""
    _CHOICES.clear()
    _TIMINGS.clear()


@contextlib.contextmanager
def force_algorithm(algorithm: Optional[str]) -> Iterator[None]:
    """Run every :class:`DepthwiseConv2d` with ``algorithm`` inside the
    block (``None``: back to each layer's own setting).

    A layer the algorithm cannot compute (the FFT at stride 2, or for half
    precision) runs ``'direct'``.
    """
    if algorithm is not None and algorithm not in ALGORITHMS:
        raise ValueError(f'Unknown depth-wise algorithm {algorithm!r}; '
                         f'choose one of {ALGORITHMS}.')
    before = _FORCED[0]
    _FORCED[0] = algorithm
    try:
        yield
    finally:
        _FORCED[0] = before


def _plain_call(x: torch.Tensor) -> bool:
    """Whether the call must stay a plain ``conv2d`` (tracing, scripting,
    compiling, meta or symbolic tensors)."""
    return (not isinstance(x, torch.Tensor) or x.device.type == 'meta'
            or torch.jit.is_tracing() or torch.jit.is_scripting()
            or torch.compiler.is_compiling())


def depthwise_conv2d(x: torch.Tensor,
                     weight: torch.Tensor,
                     bias: Optional[torch.Tensor] = None,
                     stride: Union[int, Pair] = 1,
                     padding: Union[int, Pair, str] = 0,
                     dilation: Union[int, Pair] = 1,
                     algorithm: str = 'auto',
                     spectra: Optional[dict] = None) -> torch.Tensor:
    """``F.conv2d(x, weight, bias, stride, padding, dilation, groups=C)``
    computed by ``algorithm`` (``'auto'``: the cached fastest).

    Args:
        x: ``(N, C, H, W)`` input.
        weight: ``(C, 1, kh, kw)`` kernel.
        bias: optional ``(C,)`` bias.
        stride, padding, dilation: as in ``F.conv2d`` (zero padding;
            ``'same'`` for odd dilated kernels at stride 1).
        algorithm: ``'auto'`` or one of :data:`ALGORITHMS`; overridden by
            :func:`force_algorithm`. An inapplicable one runs ``'direct'``.
        spectra: a dict in which the FFT algorithm keeps the kernel's
            spectrum between calls while the weight is unchanged and not
            differentiated (inference).

    An empty batch (``N = 0``) runs ``'direct'`` (no trial, nothing
    cached): the FFT cannot plan an empty transform and
    ``'channels_last_wgrad'`` would fold it into zero groups.
    """
    stride, dilation = _pair(stride), _pair(dilation)
    if padding == 'same':
        padding = same_padding(weight.shape[-2:], dilation)
    padding = _pair(padding)
    if _plain_call(x) or x.shape[0] == 0:
        return F.conv2d(x, weight, bias, stride, padding, dilation,
                        weight.shape[0])
    if stride == (1, 1):
        weight, padding = crop_dead_taps(weight, x.shape[-2:], padding,
                                         dilation)
    algorithm = _FORCED[0] or algorithm
    if algorithm == 'auto':
        algorithm = select_algorithm(x, weight, bias, stride, padding,
                                     dilation)
    elif algorithm not in supported_algorithms(x, weight, stride, padding,
                                               dilation):
        if algorithm not in ALGORITHMS:
            raise ValueError(f'Unknown depth-wise algorithm {algorithm!r}; '
                             f"choose 'auto' or one of {ALGORITHMS}.")
        algorithm = 'direct'
    spectrum = None
    if algorithm == 'fft' and spectra is not None:
        spectrum = _cached_spectrum(spectra, x, weight, padding, dilation)
    return _run(algorithm, x, weight, bias, stride, padding, dilation,
                spectrum)


def _cached_spectrum(spectra: dict, x: torch.Tensor, weight: torch.Tensor,
                     padding: Pair, dilation: Pair
                     ) -> Optional[torch.Tensor]:
    """The kernel spectrum from ``spectra`` (refreshed when the weight, its
    version or the grid changed); None while the weight needs a gradient.
    """
    if torch.is_grad_enabled() and weight.requires_grad:
        spectra.clear()
        return None
    dense = _dilate(weight, dilation)
    plan = _FFTPlan(x.shape, dense.shape[-2:], padding)
    key = (weight.data_ptr(), weight._version, tuple(weight.shape),
           weight.dtype, weight.device, plan.grid)
    if spectra.get('key') != key:
        spectra.clear()
        spectra['key'] = key
        spectra['spectrum'] = plan.kernel_spectrum(dense.detach())
    return spectra['spectrum']


class DepthwiseConv2d(nn.Conv2d):
    """Depth-wise ``nn.Conv2d`` (``groups = in = out = channels``) computed
    by the fastest exact algorithm for each input (see the module doc).

    ``(N, C, H, W) -> (N, C, H', W')``; the parameters are ``nn.Conv2d``'s
    (``weight`` of shape ``(C, 1, kh, kw)``, optional ``bias``), so it
    replaces a depth-wise ``nn.Conv2d`` without changing state-dict keys.

    Args:
        channels: number of channels C.
        kernel_size: ``k`` or ``(kh, kw)``.
        stride: convolution stride.
        padding: zero padding per side; ``None``: ``dilation * (k - 1) //
            2`` per side ("same" for odd kernels); ``'same'``: the same,
            rejecting even dilated kernels.
        dilation: kernel dilation.
        bias: learn a bias.
        algorithm: ``'auto'`` (default) or one of :data:`ALGORITHMS`.
    """

    def __init__(self,
                 channels: int,
                 kernel_size: Union[int, Pair],
                 stride: Union[int, Pair] = 1,
                 padding: Optional[Union[int, Pair, str]] = None,
                 dilation: Union[int, Pair] = 1,
                 bias: bool = True,
                 algorithm: str = 'auto') -> None:
        kernel_size, dilation = _pair(kernel_size), _pair(dilation)
        if padding == 'same':
            padding = same_padding(kernel_size, dilation)
        elif padding is None:
            padding = tuple(d * (k - 1) // 2
                            for k, d in zip(kernel_size, dilation))
        super().__init__(channels, channels, kernel_size, stride=stride,
                         padding=padding, dilation=dilation,
                         groups=channels, bias=bias)
        if algorithm != 'auto' and algorithm not in ALGORITHMS:
            raise ValueError(f'Unknown depth-wise algorithm {algorithm!r}; '
                             f"choose 'auto' or one of {ALGORITHMS}.")
        self.algorithm = algorithm
        self._spectra: dict = {}

    @classmethod
    def from_conv(cls, conv: nn.Conv2d) -> 'DepthwiseConv2d':
        """A :class:`DepthwiseConv2d` sharing ``conv``'s parameters."""
        if not (conv.groups == conv.in_channels == conv.out_channels):
            raise ValueError('Only a depth-wise conv (groups == in == out '
                             'channels) can become a DepthwiseConv2d.')
        if isinstance(conv.padding, str) or conv.padding_mode != 'zeros':
            raise ValueError('DepthwiseConv2d needs numeric zero padding.')
        new = cls(conv.in_channels, conv.kernel_size, conv.stride,
                  conv.padding, conv.dilation, conv.bias is not None)
        new.to(device=conv.weight.device, dtype=conv.weight.dtype)
        new.weight = conv.weight
        new.bias = conv.bias
        return new

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return depthwise_conv2d(x, self.weight, self.bias, self.stride,
                                self.padding, self.dilation, self.algorithm,
                                self._spectra)

    def extra_repr(self) -> str:
        return super().extra_repr() + f', algorithm={self.algorithm}'

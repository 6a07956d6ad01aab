"""The depth-wise convolution function and module that run the algorithm
:mod:`.selection` picks.

Traced, scripted, compiled and meta-device calls always run a plain
``F.conv2d``, so FLOP counters and exporters see a plain convolution.
"""
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn

from .algorithms import (ALGORITHMS, FFTPlan, Pair, crop_dead_taps, dilate,
                         pair, run_algorithm, same_padding,
                         supported_algorithms)
from .selection import (forced_algorithm, map_key, select_algorithm,
                        select_variant, variant_choice)
from ..inplace import activate_
from ..layout import is_channels_last
from mmcnn.ops import cpu_ops


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
                     spectra: Optional[dict] = None,
                     gelu: bool = False) -> torch.Tensor:
    """``F.conv2d(x, weight, bias, stride, padding, dilation, groups=C)``
    computed by ``algorithm`` (``'auto'``: the cached fastest), followed by
    an exact GELU when ``gelu``.

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
        gelu: apply ``F.gelu`` to the result (fused into the compiled
            kernel when the trial picks it; in place otherwise when
            autograd is off).

    An empty batch (``N = 0``) runs ``'direct'`` (no trial, nothing
    cached): the FFT cannot plan an empty transform and
    ``'channels_last_wgrad'`` would fold it into zero groups.
    """
    stride, dilation = pair(stride), pair(dilation)
    if padding == 'same':
        padding = same_padding(weight.shape[-2:], dilation)
    padding = pair(padding)
    if _plain_call(x) or x.shape[0] == 0:
        out = F.conv2d(x, weight, bias, stride, padding, dilation,
                       weight.shape[0])
        return F.gelu(out) if gelu else out
    algorithm, weight, padding = _resolve(algorithm, x, weight, bias, stride,
                                          padding, dilation, gelu)
    spectrum = None
    if algorithm == 'fft' and spectra is not None:
        spectrum = _cached_spectrum(spectra, x, weight, padding, dilation)
    return run_algorithm(algorithm, x, weight, bias, stride, padding, dilation,
                         spectrum, gelu)


def _resolve(algorithm: str, x: torch.Tensor, weight: torch.Tensor,
             bias: Optional[torch.Tensor], stride: Pair, padding: Pair,
             dilation: Pair, gelu: bool) -> Tuple[str, torch.Tensor, Pair]:
    """The algorithm that runs this call (forced, cached or timed; an
    inapplicable one becomes ``'direct'``) and the kernel and padding it
    runs with (taps that only ever meet padding cropped at stride 1)."""
    if stride == (1, 1):
        weight, padding = crop_dead_taps(weight, x.shape[-2:], padding,
                                         dilation)
    algorithm = forced_algorithm() or algorithm
    if algorithm == 'auto':
        algorithm = select_algorithm(x, weight, bias, stride, padding,
                                     dilation, gelu)
    elif algorithm not in supported_algorithms(x, weight, stride, padding,
                                               dilation):
        if algorithm not in ALGORITHMS:
            raise ValueError(f'Unknown depth-wise algorithm {algorithm!r}; '
                             f"choose 'auto' or one of {ALGORITHMS}.")
        algorithm = 'direct'
    return algorithm, weight, padding


def _cached_spectrum(spectra: dict, x: torch.Tensor, weight: torch.Tensor,
                     padding: Pair, dilation: Pair
                     ) -> Optional[torch.Tensor]:
    """The kernel spectrum from ``spectra`` (refreshed when the weight, its
    version or the grid changed); None while the weight needs a gradient.
    """
    if torch.is_grad_enabled() and weight.requires_grad:
        spectra.clear()
        return None
    dense = dilate(weight, dilation)
    plan = FFTPlan(x.shape, dense.shape[-2:], padding)
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
        kernel_size, dilation = pair(kernel_size), pair(dilation)
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

    def forward(self, x: torch.Tensor, gelu: bool = False) -> torch.Tensor:
        """``conv(x)``, or ``F.gelu(conv(x))`` with ``gelu`` (which the
        algorithm may fuse)."""
        return depthwise_conv2d(x, self.weight, self.bias, self.stride,
                                self.padding, self.dilation, self.algorithm,
                                self._spectra, gelu)

    def extra_repr(self) -> str:
        return super().extra_repr() + f', algorithm={self.algorithm}'


def _exact_gelu(act: nn.Module) -> bool:
    return isinstance(act, nn.GELU) and act.approximate == 'none'


def conv_act(conv: nn.Module, x: torch.Tensor,
             act: nn.Module) -> torch.Tensor:
    """``act(conv(x))`` (in place when autograd is off). A
    :class:`DepthwiseConv2d` followed by an exact GELU hands the GELU to
    its algorithm, which may fuse it; any other module (a subclass or a
    replacement, such as a sparse convolution) is called plainly."""
    if type(conv) is DepthwiseConv2d and _exact_gelu(act):
        return conv(x, gelu=True)
    return activate_(act, conv(x))


def _plain_pointwise(fc: nn.Module) -> bool:
    """Whether ``fc`` is a plain 1x1 ``nn.Conv2d`` with a bias (stride 1,
    no padding, one group) and no forward hooks: what the compiled kernel
    can compute in its place."""
    return (type(fc) is nn.Conv2d and fc.kernel_size == (1, 1)
            and fc.stride == (1, 1) and fc.padding == (0, 0)
            and fc.dilation == (1, 1) and fc.groups == 1
            and fc.bias is not None and not fc._forward_hooks
            and not fc._forward_pre_hooks)


def conv_act_project(conv: nn.Module, x: torch.Tensor, act: nn.Module,
                     drop: nn.Module, proj: nn.Conv2d, proj_act: nn.Module,
                     fc: Optional[nn.Module] = None
                     ) -> Tuple[torch.Tensor, torch.Tensor]:
    """``h = drop(act(conv(y)))`` and ``d = proj_act(proj(h))`` for a
    one-channel 1x1 ``proj`` (MogaNet's ``decompose``), where ``y = x``, or
    ``y = fc(x)`` with ``fc`` (MogaNet's ``fc1``): ``(N, C_in, H, W) ->
    ((N, C, H, W), (N, 1, H, W))``.

    When autograd is off, ``drop`` is inactive, both activations are exact
    GELUs and the trial picks the ``'compiled'`` kernel for ``conv`` + GELU
    on ``y``, the kernel also computes ``d`` from each pixel's channels
    while they are in registers, so ``h`` is not read a second time. A
    plain 1x1 ``fc`` with a bias (no hooks) may run inside the kernel too,
    on the few rows of ``y`` its window needs, so that ``y`` is never
    stored: one more timed choice per input shape (:func:`select_variant`
    on the first call; the kernel's own 1x1 product only beats oneDNN's
    for narrow inputs), and the choice under
    ``force_algorithm('compiled')``. Otherwise ``fc``, :func:`conv_act`,
    then ``proj``.
    """
    if fc is not None and not _plain_pointwise(fc):
        x, fc = fc(x), None
    fusable = (type(conv) is DepthwiseConv2d and conv.stride == (1, 1)
               and _exact_gelu(act) and _exact_gelu(proj_act)
               and proj.bias is not None
               and not (drop.training and getattr(drop, 'p', 0) > 0)
               and not _plain_call(x) and x.shape[0] > 0
               and not torch.is_grad_enabled())
    if not fusable:
        h = drop(conv_act(conv, x if fc is None else fc(x), act))
        return h, activate_(proj_act, proj(h))
    key, inside, y = None, False, x
    if fc is not None:
        key = ('fc', map_key(x), fc.out_channels, tuple(conv.weight.shape),
               conv.padding, conv.dilation)
        inside = (forced_algorithm() == 'compiled'
                  or variant_choice(key) == 'inside')
        if inside:
            # Only fc(x)'s shape and layout, to look up the depth-wise
            # choice (timed on the real fc(x) by the first call).
            y = torch.empty(
                (x.shape[0], fc.out_channels) + tuple(x.shape[2:]),
                dtype=x.dtype, device=x.device,
                memory_format=(torch.channels_last if is_channels_last(x)
                               else torch.contiguous_format))
        else:
            y = fc(x)
    algorithm, weight, padding = _resolve(
        conv.algorithm, y, conv.weight, conv.bias, conv.stride, conv.padding,
        conv.dilation, True)
    ops = cpu_ops() if algorithm == 'compiled' else None
    if ops is None:
        h = drop(conv_act(conv, fc(x) if inside else y, act))
        return h, activate_(proj_act, proj(h))
    tail = (weight, conv.bias, proj.weight, float(proj.bias), *padding,
            *conv.dilation)
    if inside:
        return ops.dwconv_gelu_project_fc(x, fc.weight, fc.bias, *tail)
    if fc is not None:
        select_variant(key, {
            'apart': lambda: ops.dwconv_gelu_project(fc(x), *tail),
            'inside': lambda: ops.dwconv_gelu_project_fc(
                x, fc.weight, fc.bias, *tail)})
    return ops.dwconv_gelu_project(y, *tail)

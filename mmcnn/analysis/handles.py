"""FLOP handles for mmengine's JIT analysis in the papers' convention.

mmengine's :class:`~mmengine.analysis.FlopAnalyzer` (derived from fvcore)
counts one multiply-add as one FLOP and already counts dense, grouped,
depthwise and dilated convolutions right: a convolution costs
``N * prod(weight.shape) * H_out * W_out`` MACs, the weight having
``C_in / groups`` input channels and dilation changing nothing. The
published numbers of the ConvNet papers, however, come from two counters:
fvcore (classification) and mmcv 1.x's ``get_model_complexity_info``
(detection, segmentation, pose). Both skip activations and elementwise
arithmetic; mmcv also adds one FLOP per output element for a convolution's
bias, which is what reproduces e.g. MogaNet's 0.80G / 1.10G / 4.97G.

The table here is that convention: fvcore's handles; the conv bias;
pooling and reductions (means, sums, vector norms) at one FLOP per input
element, as mmcv counts pooling; FFTs at ``n * ceil(log2(N))`` for ``n``
real-side elements transformed over ``N`` points (the ``n log N`` form of
HorNet's own counter for its global filter); grid sampling at 4 / 1 / 16
FLOPs per sampled value (bilinear / nearest / bicubic); deformable
convolutions as a convolution plus 4 FLOPs per bilinear sample and 1 for
the DCNv2 modulation. DCNv3 costs ``5 * HW * K * C``, the figure
InternImage's own counter adds (:func:`mmcnn.models.layers.dcnv3.dcnv3_macs`
for mmcnn's ``DCNv3Function``), and a core written with ``grid_sample`` and
a masked sum over the K points comes to the same count.
"""
from collections import Counter
from math import ceil, log2, prod
from typing import Any, Dict, List, Optional, Sequence

from mmengine.analysis.jit_analysis import _IGNORED_OPS
from mmengine.analysis.jit_handles import (Handle, bmm_flop_jit,
                                           conv_flop_jit,
                                           elementwise_flop_counter, get_shape)

from mmcnn.models.layers.dcnv3 import dcnv3_macs

Values = List[Any]


def _numel(value: Any) -> int:
    return prod(get_shape(value))


def conv_with_bias_flop_jit(inputs: Values, outputs: Values) -> Counter:
    """``aten::_convolution``: MACs of the kernel plus one add per output
    element when the convolution has a bias (mmcv 1.x's convention)."""
    counts = conv_flop_jit(inputs, outputs)
    if get_shape(inputs[2]) is not None:
        counts['conv_bias'] = _numel(outputs[0])
    return counts


def scaled_linear_flop_jit(inputs: Values, outputs: Values) -> Counter:
    """``aten::baddbmm``: a linear layer applied with a per-sample copy of
    its weight (:meth:`mmcnn.models.layers.GRN.project`), counted as the
    linear layer it computes."""
    return Counter({'linear': bmm_flop_jit(inputs[1:3], outputs)})


def dcnv3_flop_jit(inputs: Values, outputs: Values) -> Counter:
    """``prim::PythonOp.DCNv3Function``: the MACs of the DCNv3 sampling
    (:func:`~mmcnn.models.layers.dcnv3.dcnv3_macs`), its K points read from
    the last dimension of the mask."""
    mask_shape = inputs[2].type().sizes()
    output_shape = outputs[0].type().sizes()
    return Counter({'dcnv3': dcnv3_macs(output_shape, mask_shape[-1])})


# Register with ``FlopAnalyzer.set_op_handle(**DCNV3_FLOP_HANDLES)``.
DCNV3_FLOP_HANDLES = {'prim::PythonOp.DCNv3Function': dcnv3_flop_jit}


def _fft_dims(dims: Optional[Sequence[int]], rank: int,
              default: Sequence[int]) -> List[int]:
    dims = default if dims is None else dims
    return [d % rank for d in dims]


def fft_flop_counter(inverse: bool, default_dims: Sequence[int]) -> Handle:
    """``n * ceil(log2(N))`` for an FFT over ``N`` points of a tensor of
    ``n`` real-side elements (the input of ``rfft``, the output of
    ``irfft``); ``default_dims`` are the transformed dims when the call
    gives none (``(-2, -1)`` for the 2-D transforms, all for ``n``-D)."""

    def fft_flop_jit(inputs: Values, outputs: Values) -> int:
        signal = outputs[0] if inverse else inputs[0]
        shape = get_shape(signal)
        rank = len(shape)
        default = default_dims if default_dims else range(rank)
        dims = _fft_dims(inputs[2].toIValue(), rank, default)
        points = prod(shape[d] for d in dims)
        return prod(shape) * ceil(log2(points)) if points > 1 else 0

    return fft_flop_jit


# FLOPs per sampled value for aten::grid_sampler's interpolation modes.
_SAMPLING_COST = {0: 4, 1: 1, 2: 16}


def grid_sampler_flop_jit(inputs: Values, outputs: Values) -> int:
    """``grid_sample``: 4 (bilinear), 1 (nearest) or 16 (bicubic) FLOPs per
    output element, the output being ``(N, C, H_grid, W_grid)``."""
    mode = inputs[2].toIValue()
    return _SAMPLING_COST.get(mode, 4) * _numel(outputs[0])


def deform_conv_flop_counter(modulated: bool) -> Handle:
    """mmcv's ``DeformConv2dFunction`` / ``ModulatedDeformConv2dFunction``:
    the convolution's MACs, the bias, 4 FLOPs per bilinear sample of each
    input channel at each kernel point, and 1 more for the DCNv2 mask."""

    def deform_conv_flop_jit(inputs: Values, outputs: Values) -> Counter:
        weight_index = 3 if modulated else 2
        x_shape = get_shape(inputs[0])
        weight = get_shape(inputs[weight_index])
        out_shape = get_shape(outputs[0])
        positions = out_shape[0] * prod(out_shape[2:])
        samples = positions * x_shape[1] * prod(weight[2:])
        counts = Counter({
            'deform_conv': positions * prod(weight),
            'deform_sampling': samples * (5 if modulated else 4),
        })
        if modulated and get_shape(inputs[4]) is not None:
            counts['conv_bias'] = prod(out_shape)
        return counts

    return deform_conv_flop_jit


PAPER_FLOP_HANDLES: Dict[str, Handle] = {
    'aten::_convolution': conv_with_bias_flop_jit,
    'aten::max_pool2d': elementwise_flop_counter(1, 0),
    'aten::avg_pool2d': elementwise_flop_counter(1, 0),
    'aten::adaptive_max_pool2d': elementwise_flop_counter(1, 0),
    'aten::mean': elementwise_flop_counter(1, 0),
    'aten::sum': elementwise_flop_counter(1, 0),
    'aten::linalg_vector_norm': elementwise_flop_counter(1, 0),
    'aten::baddbmm': scaled_linear_flop_jit,
    'aten::grid_sampler': grid_sampler_flop_jit,
    'aten::fft_rfft2': fft_flop_counter(False, (-2, -1)),
    'aten::fft_irfft2': fft_flop_counter(True, (-2, -1)),
    'aten::fft_fft2': fft_flop_counter(False, (-2, -1)),
    'aten::fft_ifft2': fft_flop_counter(True, (-2, -1)),
    'aten::fft_rfftn': fft_flop_counter(False, ()),
    'aten::fft_irfftn': fft_flop_counter(True, ()),
    'prim::PythonOp.DeformConv2dFunction': deform_conv_flop_counter(False),
    'prim::PythonOp.ModulatedDeformConv2dFunction':
    deform_conv_flop_counter(True),
    **DCNV3_FLOP_HANDLES,
    # Traced inside DCNv3Function, whose handle counts it.
    'prim::PythonOp._WeightedGather': lambda inputs, outputs: 0,
}

# Elementwise arithmetic and activations: zero in both reference counters.
# They are reported as "not counted by convention", never silently.
ZERO_BY_CONVENTION = frozenset(
    f'aten::{name}{suffix}' for suffix in ('', '_') for name in (
        'add', 'addcmul', 'sub', 'rsub', 'mul', 'div', 'neg', 'pow',
        'sqrt', 'rsqrt', 'reciprocal', 'square', 'exp', 'log', 'abs', 'erf',
        'sigmoid', 'tanh', 'gelu', 'silu', 'mish', 'softplus', 'hardswish',
        'hardsigmoid', 'hardtanh', 'relu6', 'leaky_relu', 'elu', 'prelu',
        'clamp_min', 'clamp_max', 'softmax', 'log_softmax', 'where', 'minimum',
        'maximum', 'cos', 'sin'))

# Data movement, tensor creation and comparisons: no arithmetic at all, so
# ignored like the ops of mmengine's own list.
NO_ARITHMETIC_OPS = frozenset({
    'aten::lt', 'aten::le', 'aten::ne', 'aten::feature_dropout',
    'aten::alpha_dropout', 'aten::feature_alpha_dropout', 'aten::logical_and',
    'aten::logical_or', 'aten::logical_not',
    'aten::alias', 'aten::clone', 'aten::expand_as', 'aten::fill_',
    'aten::flip', 'aten::lift_fresh', 'aten::linspace', 'aten::meshgrid',
    'aten::movedim', 'aten::new_ones', 'aten::pad', 'aten::pixel_shuffle',
    'aten::pixel_unshuffle', 'aten::repeat', 'aten::repeat_interleave',
    'aten::tensor_split', 'aten::unflatten', 'aten::unfold',
    'aten::view_as_complex', 'aten::view_as_real', 'aten::zero_',
    'aten::detach_', 'aten::empty_like', 'aten::ones_like', 'aten::rand',
    'aten::randn', 'aten::scalar_tensor', 'aten::tensor', 'aten::as_strided',
    'aten::masked_fill_', 'aten::resolve_conj', 'aten::resolve_neg',
}) - _IGNORED_OPS

"""Exact folding of per-channel affine maps into convolutions and linears.

Used to re-parameterise trained networks for inference (``deploy`` forms):
an eval-mode batch norm is the per-channel affine map
``y = scale * x + shift``, and so is a layer scale (``shift = 0``). Folding
it into the adjacent conv or linear layer changes only the layer's weight
and bias. All arithmetic is done in float64 and cast back, so the folded
layer agrees with the pair it replaces up to float rounding.

Every helper returns a new layer and leaves its arguments untouched.
"""
import copy
from typing import Optional, Tuple, Union

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd

Layer = Union[_ConvNd, nn.Linear]


def bn_to_affine(bn: nn.Module) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(scale, shift)``, both ``(C,)``, with ``bn(x) = scale * x + shift``.

    Uses the running statistics, i.e. the eval-mode batch norm.

    Raises:
        TypeError: ``bn`` is not a batch norm (a group or layer norm
            depends on its input and cannot be folded).
        ValueError: the batch norm keeps no running statistics.
    """
    if not isinstance(bn, _BatchNorm):
        raise TypeError(
            f'Only batch norms fold into a conv or linear layer, got '
            f'{type(bn).__name__}: its statistics depend on the input.')
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError(
            'A batch norm with track_running_stats=False always normalises '
            'with batch statistics and cannot be folded.')
    scale = torch.rsqrt(bn.running_var.double() + bn.eps)
    if bn.weight is not None:
        scale = scale * bn.weight.double()
    shift = -bn.running_mean.double() * scale
    if bn.bias is not None:
        shift = shift + bn.bias.double()
    return scale, shift


def _check_layer(layer: nn.Module) -> None:
    if not isinstance(layer, (_ConvNd, nn.Linear)):
        raise TypeError(f'Expected a convolution or nn.Linear, got '
                        f'{type(layer).__name__}.')
    if isinstance(layer, _ConvNd) and layer.transposed:
        raise TypeError('Transposed convolutions are not supported.')


def _with_params(layer: Layer, weight: torch.Tensor,
                 bias: Optional[torch.Tensor]) -> Layer:
    """A copy of ``layer`` holding ``weight`` and ``bias`` (cast back;
    ``bias=None`` keeps a bias-free layer bias-free)."""
    new = copy.deepcopy(layer)
    dtype = layer.weight.dtype
    grad = layer.weight.requires_grad
    new.weight = nn.Parameter(weight.to(dtype), requires_grad=grad)
    new.bias = (None if bias is None else
                nn.Parameter(bias.to(dtype), requires_grad=grad))
    return new


def _bias(layer: Layer) -> torch.Tensor:
    if layer.bias is None:
        return layer.weight.new_zeros(layer.weight.shape[0]).double()
    return layer.bias.detach().double()


def _per_output(vector: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Reshape a ``(C_out,)`` vector to broadcast over ``weight``."""
    return vector.reshape(-1, *([1] * (weight.dim() - 1)))


def fold_output_affine(layer: Layer,
                       scale: torch.Tensor,
                       shift: Optional[torch.Tensor] = None) -> Layer:
    """Fold ``y = scale * layer(x) + shift`` into one layer.

    Args:
        layer: a conv (any kernel, stride, padding, groups) or linear.
        scale: ``(C_out,)`` per-output-channel factor (any shape with
            ``C_out`` elements, e.g. a ``(1, C, 1, 1)`` layer scale).
        shift: optional ``(C_out,)`` offset added after scaling.
    """
    _check_layer(layer)
    weight = layer.weight.detach().double()
    scale = scale.detach().double().reshape(-1)
    if scale.numel() != weight.shape[0]:
        raise ValueError(f'scale has {scale.numel()} entries, the layer '
                         f'{weight.shape[0]} output channels.')
    bias = (None if layer.bias is None and shift is None
            else _bias(layer) * scale)
    if shift is not None:
        bias = bias + shift.detach().double().reshape(-1)
    return _with_params(layer, weight * _per_output(scale, weight), bias)


def _pads_with_zeros(layer: Layer) -> bool:
    """Whether the conv sees zero padding (which an input shift breaks)."""
    if not isinstance(layer, _ConvNd) or layer.padding_mode != 'zeros':
        return False
    if isinstance(layer.padding, str):
        return layer.padding == 'same' and any(
            k > 1 for k in layer.kernel_size)
    return any(p > 0 for p in layer.padding)


def fold_input_affine(layer: Layer,
                      scale: torch.Tensor,
                      shift: Optional[torch.Tensor] = None) -> Layer:
    """Fold ``y = layer(scale * x + shift)`` into one layer.

    Grouped convs are supported. A non-zero ``shift`` is exact only when
    the conv does not zero-pad (at the border the padded zeros would not be
    shifted), so that case raises.

    Args:
        layer: a conv or linear.
        scale: ``(C_in,)`` per-input-channel factor.
        shift: optional ``(C_in,)`` offset added to the input.
    """
    _check_layer(layer)
    weight = layer.weight.detach().double()
    groups = getattr(layer, 'groups', 1)
    in_per_group = weight.shape[1]
    scale = scale.detach().double().reshape(-1)
    if scale.numel() != in_per_group * groups:
        raise ValueError(f'scale has {scale.numel()} entries, the layer '
                         f'{in_per_group * groups} input channels.')

    def per_weight(vector: torch.Tensor) -> torch.Tensor:
        """``(C_in,)`` -> broadcastable over ``weight``, group by group."""
        grouped = vector.reshape(groups, 1, in_per_group)
        spread = grouped.expand(groups, weight.shape[0] // groups,
                                in_per_group)
        return spread.reshape(weight.shape[0], in_per_group,
                              *([1] * (weight.dim() - 2)))

    new_weight = weight * per_weight(scale)
    bias = None if layer.bias is None and shift is None else _bias(layer)
    if shift is not None:
        shift = shift.detach().double().reshape(-1)
        if _pads_with_zeros(layer) and bool(shift.ne(0).any()):
            raise ValueError(
                'An input shift cannot be folded exactly into a conv that '
                f'zero-pads (padding={layer.padding}).')
        bias = bias + (weight * per_weight(shift)).flatten(1).sum(1)
    return _with_params(layer, new_weight, bias)


def fold_output_bn(layer: Layer, bn: nn.Module) -> Layer:
    """Fold ``bn(layer(x))`` (a batch norm after a conv/linear) into one."""
    return fold_output_affine(layer, *bn_to_affine(bn))


def fold_input_bn(bn: nn.Module, layer: Layer) -> Layer:
    """Fold ``layer(bn(x))`` (a batch norm before a conv/linear) into one.

    Exact for convs without zero padding (e.g. 1x1) and for linears.
    """
    return fold_input_affine(layer, *bn_to_affine(bn))


def fold_prenorm_branch(norm: nn.Module, first: Layer, last: Layer,
                        layer_scale: torch.Tensor, inner_shortcut: bool
                        ) -> Tuple[Layer, Layer, Optional[torch.Tensor]]:
    """Fold a residual branch ``x + ls * f(bn(x))`` into its projections.

    ``f(u) = last(g(first(u)))`` (``+ u`` when ``inner_shortcut``), where
    ``first`` reads ``u`` without zero padding (a 1x1 conv or linear) and
    ``g`` is anything in between. With ``bn(x) = a * x + b``, ``bn`` folds
    into ``first``'s input and ``ls`` into ``last``'s output; the inner
    shortcut leaves ``ls * b`` for ``last``'s bias and ``ls * a * x`` for
    the caller: the branch equals ``x + last'(g(first'(x))) [+ x +
    shortcut_scale * x]``.

    Returns:
        ``(first', last', shortcut_scale)``, ``shortcut_scale`` (shaped
        like ``layer_scale``) being ``None`` without an inner shortcut.
    """
    scale, shift = bn_to_affine(norm)
    ls = layer_scale.detach().reshape(-1).double()
    first = fold_input_affine(first, scale, shift)
    if not inner_shortcut:
        return first, fold_output_affine(last, ls), None
    last = fold_output_affine(last, ls, ls * shift)
    shortcut_scale = (ls * scale).to(layer_scale.dtype)
    return first, last, shortcut_scale.reshape(layer_scale.shape)


def fold_scale_into_norm(norm: nn.Module, scale: torch.Tensor) -> nn.Module:
    """A copy of an affine norm (LayerNorm, GroupNorm, ...) computing
    ``scale * norm(x)``: its weight and bias scaled per channel."""
    if norm.weight is None:
        raise TypeError(f'{type(norm).__name__} has no affine parameters '
                        'to fold a scale into.')
    new = copy.deepcopy(norm)
    factor = scale.detach().double().reshape(-1)
    dtype = norm.weight.dtype
    new.weight = nn.Parameter((norm.weight.detach().double() *
                               factor).to(dtype))
    if norm.bias is not None:
        new.bias = nn.Parameter((norm.bias.detach().double() *
                                 factor).to(dtype))
    return new


def fold_norm_affine(norm: nn.LayerNorm,
                     layer: Layer) -> Tuple[nn.LayerNorm, Layer]:
    """``layer(w * LN(x) + b) = layer'(LN(x))``: a LayerNorm's affine
    folded into the input of the linear or conv reading it (a pure scale is
    exact even through zero padding, which it keeps zero; a bias is refused
    there). Returns the affine-free norm and ``layer'``."""
    plain = nn.LayerNorm(norm.normalized_shape, eps=norm.eps,
                         elementwise_affine=False)
    return plain, fold_input_affine(layer, norm.weight, norm.bias)

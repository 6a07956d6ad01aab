"""Mask-aware (sparse) forms of mmcnn's backbones for masked image modelling.

SparK (Tian et al., ICLR 2023) encodes only the visible patches of an image
with a dense ConvNet by treating the masked positions as empty: every
operator must compute at the active (visible) positions exactly what it
would compute on the visible pixels alone. :func:`to_sparse` converts a
built mmcnn backbone in place by swapping each module's class for a
mask-aware subclass (parameters, buffers and state-dict keys are those of
the dense module), following these rules:

* convolutions (``nn.Conv2d``, :class:`DepthwiseConv2d`, large, dilated and
  strided kernels alike) read their input with the masked positions zeroed
  when they mix positions (kernel or stride > 1) and mask their outputs;
* batch norms (training mode) take their statistics over the active
  positions only; group norms likewise, per sample and group;
* GRN's global responses, MogaNet's feature decomposition (GAP),
  UniRepLKNet's squeeze-and-excitation (GAP) and FocalNet's global context
  are means/norms over the active positions;
* average pooling (PoolFormer's token mixer) averages the active cells of
  each window only;
* HorNet's FFT global filter zeroes the masked positions before the FFT
  and masks its output;
* InternImage's DCNv3 samples from a value map whose masked positions are
  zero, and masks its output.

Channel-wise operators (linear layers, 1x1 convolutions, LayerNorm over
channels, activations, layer scales) keep each position to itself and are
unchanged. The mask is mmpretrain's: ``SparseHelper._cur_active``, a
``(B, 1, f, f)`` boolean map of the active patches that
:class:`mmpretrain.models.SparK` sets before each forward (or
:func:`active_patches` in other code), upsampled to each map's size, so it
follows the hierarchy through every stride.
"""
from contextlib import contextmanager
from typing import Dict, Iterator, Tuple, Type

import torch
from mmpretrain.models.utils.sparse_modules import SparseHelper
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmcnn.models.backbones import (ConvFormer, ConvNetBackbone, ConvNeXt,
                                    FocalNet, HorNet, InceptionNeXt,
                                    InternImage, MogaNet, PoolFormer,
                                    RepLKNet, SLaK, UniRepLKNet, VAN)
from mmcnn.models.backbones.focalnet import FocalModulation
from mmcnn.models.backbones.hornet import GlobalLocalFilter
from mmcnn.models.backbones.moganet import MultiOrderGatedAggregation
from mmcnn.models.backbones.unireplknet import SEBlock
from mmcnn.models.layers import (DCNv3, GRN, activate_, addcmul_, mul_,
                                 residual_add)
from mmcnn.registry import MODELS

SUPPORTED_FAMILIES: Tuple[Type[ConvNetBackbone], ...] = (
    ConvNeXt, MogaNet, VAN, InceptionNeXt, PoolFormer, ConvFormer, RepLKNet,
    SLaK, UniRepLKNet, HorNet, FocalNet, InternImage)
"""The families :func:`to_sparse` converts (ConvNeXt V2 is a ConvNeXt)."""


def active_mask(x: torch.Tensor, channels_last: bool = False) -> torch.Tensor:
    """The active-patch mask at ``x``'s resolution, as ``x``'s dtype:
    ``(B, 1, H, W)`` for an ``(B, C, H, W)`` map, ``(B, H, W, 1)`` for a
    channels-last ``(B, H, W, C)`` one.

    Raises:
        RuntimeError: no mask is set.
        ValueError: the map's size is not a multiple of the mask's, or the
            batch sizes differ.
    """
    patches = SparseHelper._cur_active
    if patches is None:
        raise RuntimeError(
            'No active mask is set: a sparse backbone runs inside '
            'mmpretrain SparK.loss, or inside '
            'mim_pretrain.sparse.active_patches(mask).')
    height, width = x.shape[1:3] if channels_last else x.shape[2:]
    rows, cols = patches.shape[-2:]
    if (height % rows or width % cols or patches.shape[0] != x.shape[0]):
        raise ValueError(
            f'A {height}x{width} map (batch {x.shape[0]}) cannot follow the '
            f'{rows}x{cols} active mask (batch {patches.shape[0]}): the input '
            'size must be the mask size times the total stride (SparK\'s '
            'input_size = feature map size * downsample_raito).')
    mask = patches.repeat_interleave(height // rows, 2).repeat_interleave(
        width // cols, 3).to(x.dtype)
    return mask.permute(0, 2, 3, 1) if channels_last else mask


def masked(x: torch.Tensor, channels_last: bool = False) -> torch.Tensor:
    """``x`` with its masked positions set to zero."""
    return x * active_mask(x, channels_last)


def active_mean(x: torch.Tensor) -> torch.Tensor:
    """The mean of an ``(B, C, H, W)`` map over its active positions,
    ``(B, C, 1, 1)``."""
    mask = active_mask(x)
    count = mask.sum((2, 3), keepdim=True).clamp_min(1)
    return (x * mask).sum((2, 3), keepdim=True) / count


@contextmanager
def active_patches(mask: torch.Tensor) -> Iterator[None]:
    """Run sparse modules with the ``(B, 1, f, f)`` boolean ``mask`` of
    active patches (restoring the previous one afterwards)."""
    previous = SparseHelper._cur_active
    SparseHelper._cur_active = mask
    try:
        yield
    finally:
        SparseHelper._cur_active = previous


class SparseConv2d(nn.Conv2d):
    """A convolution that reads only active positions (input masked when it
    mixes positions) and writes only active positions (output masked)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if max(self.kernel_size) > 1 or max(self.stride) > 1:
            x = masked(x)
        return masked(super().forward(x))


class SparseBatchNorm(_BatchNorm):
    """Batch norm whose training statistics cover the active positions
    only; masked positions output zero."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training and self.track_running_stats:
            return masked(super().forward(x))
        index = active_mask(x)[:, 0].nonzero(as_tuple=True)
        channels_last = x.permute(0, 2, 3, 1)
        rows = super().forward(channels_last[index][:, :, None, None])
        out = torch.zeros_like(channels_last).index_put(index, rows.flatten(1))
        return out.permute(0, 3, 1, 2)


class SparseGroupNorm(nn.GroupNorm):
    """Group norm with per-sample, per-group statistics over the active
    positions only; masked positions output zero."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = active_mask(x).unsqueeze(1)
        groups = x.view(x.shape[0], self.num_groups, -1, *x.shape[2:])
        count = mask.sum((2, 3, 4), keepdim=True) * groups.shape[2]
        mean = (groups * mask).sum((2, 3, 4), keepdim=True) / count
        centred = (groups - mean) * mask
        var = centred.square().sum((2, 3, 4), keepdim=True) / count
        out = (centred * torch.rsqrt(var + self.eps)).view_as(x)
        if self.affine:
            out = out * self.weight.view(1, -1, 1, 1) + self.bias.view(
                1, -1, 1, 1)
        return masked(out)


class SparseAvgPool2d(nn.AvgPool2d):
    """Average pooling over the active cells of each window only."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = active_mask(x)
        total = super().forward(x * mask)
        share = super().forward(mask)
        return masked(total / share.clamp_min(torch.finfo(x.dtype).tiny))


class SparseGRN(GRN):
    """GRN whose global responses are L2 norms over the active positions."""

    def scale(self, x: torch.Tensor) -> torch.Tensor:
        return super().scale(masked(x, channels_last=True))


class SparseMultiOrderGatedAggregation(MultiOrderGatedAggregation):
    """MogaNet's spatial aggregation with the feature decomposition's GAP
    taken over the active positions."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.proj_1(x)
        decomposed = torch.sub(x, active_mean(x))
        x = activate_(self.act_value,
                      residual_add(x, mul_(decomposed, self.sigma.scale)))
        gated = mul_(activate_(self.act_gate, self.gate(x)),
                     activate_(self.act_gate, self.value(x)))
        return residual_add(shortcut, self.proj_2(gated))


class SparseSEBlock(SEBlock):
    """Squeeze-and-excitation whose squeeze averages the active positions."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.up(self.nonlinear(self.down(active_mean(x))))
        return masked(x * torch.sigmoid(w))


class SparseFocalModulation(FocalModulation):
    """Focal modulation whose global level is the mean context over the
    active positions."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channels = x.shape[-1]
        x = self.f(x).permute(0, 3, 1, 2)
        query, ctx, gates = torch.split(
            x, (channels, channels, self.focal_level + 1), dim=1)
        ctx_all = torch.zeros_like(query)
        for level, (conv, act) in enumerate(self.focal_layers):
            ctx = act(conv(ctx))
            ctx_all = addcmul_(ctx_all, ctx, gates[:, level:level + 1])
        ctx_global = self.act(active_mean(ctx))
        ctx_all = addcmul_(ctx_all, ctx_global, gates[:, self.focal_level:])
        if self.normalize_modulator:
            ctx_all = ctx_all / (self.focal_level + 1)
        x = mul_(self.h(ctx_all), query).permute(0, 2, 3, 1)
        return self.proj_drop(self.proj(x))


class SparseGlobalLocalFilter(GlobalLocalFilter):
    """HorNet's global-local filter whose FFT filter sees the active
    positions only (zeroed before the FFT, output re-masked)."""

    def global_filter(self, x: torch.Tensor) -> torch.Tensor:
        return masked(super().global_filter(masked(x)))


class SparseDCNv3(DCNv3):
    """DCNv3 that samples from a value map zero at the masked positions and
    masks its output (channels-last maps)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return masked(super().forward(x), channels_last=True)


class _MaskedOutput(nn.Module):
    """Mixin: mask a channels-last module's output (DCNv3's value map)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return masked(super().forward(x), channels_last=True)


class MaskedInputBackbone(ConvNetBackbone):
    """Mixin of a converted backbone: the input image is masked first."""

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        return super().forward(masked(x))


RULES: Tuple[Tuple[Type[nn.Module], Type[nn.Module]], ...] = (
    (DCNv3, SparseDCNv3),
    (GlobalLocalFilter, SparseGlobalLocalFilter),
    (FocalModulation, SparseFocalModulation),
    (MultiOrderGatedAggregation, SparseMultiOrderGatedAggregation),
    (SEBlock, SparseSEBlock),
    (GRN, SparseGRN),
    (_BatchNorm, SparseBatchNorm),
    (nn.GroupNorm, SparseGroupNorm),
    (nn.AvgPool2d, SparseAvgPool2d),
    (nn.Conv2d, SparseConv2d),
)
"""Dense module type -> its mask-aware mixin, most specific first."""

UNSUPPORTED: Tuple[Type[nn.Module], ...] = (
    nn.MaxPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.Upsample,
    nn.Conv1d, nn.Conv3d, nn.ConvTranspose2d)
"""Position-mixing modules without a mask-aware form."""

_CLASSES: Dict[Tuple[type, type], type] = {}


def _sparse_class(dense: type, mixin: type) -> type:
    """``dense`` with ``mixin``'s methods first (one class per pair)."""
    if issubclass(dense, mixin):
        return dense
    if issubclass(mixin, dense):
        return mixin
    key = (dense, mixin)
    if key not in _CLASSES:
        _CLASSES[key] = type(f'Sparse{dense.__name__}', (mixin, dense), {})
    return _CLASSES[key]


def _swap(module: nn.Module, mixin: type) -> None:
    module.__class__ = _sparse_class(type(module), mixin)


def to_sparse_module(module: nn.Module) -> nn.Module:
    """Give ``module`` (not its children) the mask-aware form of the first
    :data:`RULES` entry it matches, in place; return it (unchanged when it
    acts per position)."""
    for dense, mixin in RULES:
        if isinstance(module, dense):
            _swap(module, mixin)
            break
    if isinstance(module, DCNv3):
        _swap(module.input_proj, _MaskedOutput)
    return module


def to_sparse(backbone: ConvNetBackbone) -> ConvNetBackbone:
    """Convert ``backbone`` in place into its mask-aware form (same
    parameters, buffers and state-dict keys) and return it.

    Raises:
        TypeError: ``backbone`` is not one of :data:`SUPPORTED_FAMILIES`, or
            holds a position-mixing module without a mask-aware form.
        ValueError: ``backbone`` is in its deploy form or computes the
            classifier's pooled features.
    """
    if not isinstance(backbone, SUPPORTED_FAMILIES):
        names = ', '.join(cls.__name__ for cls in SUPPORTED_FAMILIES)
        raise TypeError(
            f'to_sparse has no mask-aware rules for '
            f'{type(backbone).__name__}; supported families: {names}.')
    if backbone.deploy:
        raise ValueError(
            f'{type(backbone).__name__} is in its deploy form, whose folded '
            'batch norms cannot take statistics over the active positions: '
            'pre-train the training form (deploy=False).')
    if backbone.classifier_form:
        raise ValueError(
            f'{type(backbone).__name__} computes pooled classifier features; '
            'masked pre-training needs the stage maps: build it without '
            f'{backbone.classifier_form_arg or "gap_before_final_norm"}.')
    pooled = set()
    for name, module in backbone.named_modules():
        if id(module) in pooled:
            continue
        if isinstance(module, SEBlock):
            pooled.update(id(m) for m in module.modules() if m is not module)
        if isinstance(module, UNSUPPORTED):
            raise TypeError(
                f'{name} ({type(module).__name__}) mixes positions and has '
                'no mask-aware form in mim_pretrain.sparse.')
        to_sparse_module(module)
    _swap(backbone, MaskedInputBackbone)
    return backbone


@MODELS.register_module(name='SparseBackbone')
def build_sparse_backbone(backbone: dict) -> ConvNetBackbone:
    """Build the dense backbone config ``backbone`` and :func:`to_sparse`
    it: ``type='mmcnn.SparseBackbone'`` in a SparK config keeps the dense
    state-dict keys under ``backbone.``."""
    return to_sparse(MODELS.build(backbone))


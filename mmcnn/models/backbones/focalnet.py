"""FocalNet: Focal Modulation Networks.

Yang et al., "Focal Modulation Networks", NeurIPS 2022 (arXiv:2203.11926).
Module names follow the official implementation (microsoft/FocalNet), with
each stage's downsampling moved to the start of the stage (as in timm and
the paper's figure); :meth:`FocalNet.checkpoint_filter` converts the
official classification and detection checkpoints.
"""
from typing import List, Optional, Sequence, Union, Unpack

import torch
import torch.nn.functional as F
from torch import nn

from mmcnn.registry import MODELS
from ..layers import (DepthwiseConv2d, Mlp, PointwiseLinear, activate_,
                      addcmul_, build_drop_path, drop_path_rates, mul_,
                      pad_kernel, residual_add)
from ..layers.fuse import fold_output_affine, fold_scale_into_norm
from ..layers.init import init_linear_layer_norm
from .base import BackboneArgs, ConvNetBackbone, no_weight_decay
from .checkpoint_keys import KeyTable


class FocalModulation(nn.Module):
    """Focal modulation on channels-last maps,
    ``(N, H, W, C) -> (N, H, W, C)`` (paper Eq. 4-8).

    ``f`` projects to a query ``q``, a context ``z`` and ``L + 1`` gates.
    Level ``l`` computes ``z = GELU(DWConv_k(z))`` with
    ``k = 2 * l + focal_window``; the global level is ``GELU(mean(z))``.
    The gated sum of all levels goes through the 1x1 conv ``h``, multiplies
    the query, and is projected by ``proj``.
    """

    def __init__(self,
                 embed_dims: int,
                 focal_level: int,
                 focal_window: int,
                 normalize_modulator: bool = False,
                 drop_rate: float = 0.) -> None:
        super().__init__()
        if focal_level < 1:
            raise ValueError(f'FocalNet needs focal_level >= 1 (one DW conv '
                             f'level at least), got {focal_level}.')
        self.focal_level = focal_level
        self.normalize_modulator = normalize_modulator
        self.f = PointwiseLinear(embed_dims, 2 * embed_dims + focal_level + 1)
        self.h = nn.Conv2d(embed_dims, embed_dims, 1)
        self.act = nn.GELU()
        self.proj = PointwiseLinear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(drop_rate)
        self.focal_layers = nn.ModuleList()
        for level in range(focal_level):
            kernel_size = 2 * level + focal_window
            self.focal_layers.append(nn.Sequential(
                DepthwiseConv2d(embed_dims, kernel_size,
                                padding=kernel_size // 2, bias=False),
                nn.GELU()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channels = x.shape[-1]
        x = self.f(x).permute(0, 3, 1, 2)
        query, ctx, gates = torch.split(
            x, (channels, channels, self.focal_level + 1), dim=1)
        ctx_all = None
        for level, (conv, act) in enumerate(self.focal_layers):
            ctx = activate_(act, conv(ctx))
            gate = gates[:, level:level + 1]
            ctx_all = (ctx * gate if ctx_all is None else addcmul_(
                ctx_all, ctx, gate))
        ctx_global = self.act(ctx.mean((2, 3), keepdim=True))
        ctx_all = addcmul_(ctx_all, ctx_global, gates[:, self.focal_level:])
        if self.normalize_modulator:
            ctx_all = ctx_all / (self.focal_level + 1)
        x = mul_(self.h(ctx_all), query).permute(0, 2, 3, 1)
        return self.proj_drop(self.proj(x))


class FocalNetBlock(nn.Module):
    """One FocalNet block, ``(N, H, W, C) -> (N, H, W, C)``.

    Pre-norm: ``x = x + DropPath(g_1 * FM(LN(x)))``,
    ``x = x + DropPath(g_2 * mlp(LN(x)))``; post-norm (large models):
    ``x = x + DropPath(g_1 * LN(FM(x)))``,
    ``x = x + DropPath(g_2 * LN(mlp(x)))``, with the channels-last MLP
    ``fc2(drop(GELU(fc1(x))))``. The layer scales ``g`` are 1 unless
    ``layer_scale`` is given.
    """

    def __init__(self,
                 embed_dims: int,
                 focal_level: int,
                 focal_window: int,
                 mlp_ratio: float = 4.,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 layer_scale: Optional[float] = None,
                 post_norm: bool = False,
                 normalize_modulator: bool = False) -> None:
        super().__init__()
        self.post_norm = post_norm
        self.norm1 = nn.LayerNorm(embed_dims)
        self.modulation = FocalModulation(embed_dims, focal_level,
                                          focal_window, normalize_modulator,
                                          drop_rate)
        self.drop_path = build_drop_path(drop_path_rate)
        self.norm2 = nn.LayerNorm(embed_dims)
        self.mlp = Mlp(embed_dims, int(embed_dims * mlp_ratio),
                       channels_last=True, drop_rate=drop_rate)
        if layer_scale is None:
            self.gamma_1 = self.gamma_2 = None
        else:
            self.gamma_1 = nn.Parameter(
                torch.full((embed_dims, ), float(layer_scale)))
            self.gamma_2 = nn.Parameter(
                torch.full((embed_dims, ), float(layer_scale)))

    @staticmethod
    def _scale(gamma: Optional[torch.Tensor],
               x: torch.Tensor) -> torch.Tensor:
        return x if gamma is None else gamma * x

    def switch_to_deploy(self) -> None:
        """Fold the layer scales into the layer that precedes them (the
        post-norm LayerNorms' affines, else ``modulation.proj`` and
        ``mlp.fc2``); drop path is dropped."""
        if self.gamma_1 is not None:
            if self.post_norm:
                self.norm1 = fold_scale_into_norm(self.norm1, self.gamma_1)
                self.norm2 = fold_scale_into_norm(self.norm2, self.gamma_2)
            else:
                self.modulation.proj = fold_output_affine(
                    self.modulation.proj, self.gamma_1)
                self.mlp.fc2 = fold_output_affine(self.mlp.fc2,
                                                  self.gamma_2)
            self.gamma_1 = self.gamma_2 = None
        self.drop_path = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.post_norm:
            y = self.norm1(self.modulation(x))
        else:
            y = self.modulation(self.norm1(x))
        x = residual_add(x, self.drop_path(self._scale(self.gamma_1, y)))
        if self.post_norm:
            y = self.norm2(self.mlp(x))
        else:
            y = self.mlp(self.norm2(x))
        return residual_add(x, self.drop_path(self._scale(self.gamma_2, y)))


class PatchEmbed(nn.Module):
    """Patch embedding, ``(N, C_in, H, W) -> (N, H', W', C_out)``.

    A ``s x s`` stride-``s`` conv, or with ``conv_embed`` an overlapping
    7x7 (stem, s=4, padding 2) or 3x3 (s=2, padding 1) conv, then
    LayerNorm. With ``pad_input`` the input is first zero-padded at the
    bottom/right to a multiple of ``s``, as in the official dense-prediction
    backbones, so that ``H' = ceil(H / s)``; without it (the official
    classifier) ``H' = floor((H + 2 p - k) / s) + 1``.
    """

    def __init__(self,
                 in_channels: int,
                 embed_dims: int,
                 stride: int,
                 conv_embed: bool = False,
                 pad_input: bool = True) -> None:
        super().__init__()
        self.stride = stride
        self.pad_input = pad_input
        if conv_embed:
            kernel_size, padding = (7, 2) if stride == 4 else (3, 1)
        else:
            kernel_size, padding = stride, 0
        self.proj = nn.Conv2d(in_channels, embed_dims, kernel_size,
                              stride=stride, padding=padding)
        self.norm = nn.LayerNorm(embed_dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad_h = -x.shape[2] % self.stride if self.pad_input else 0
        pad_w = -x.shape[3] % self.stride if self.pad_input else 0
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h))
        return self.norm(self.proj(x).permute(0, 2, 3, 1))


class FocalNetStage(nn.Module):
    """A stage on channels-last maps: optional stride-2 ``downsample``,
    then ``blocks``."""

    def __init__(self, downsample: Optional[PatchEmbed],
                 blocks: List[FocalNetBlock]) -> None:
        super().__init__()
        self.downsample = downsample
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.downsample is not None:
            x = self.downsample(x.permute(0, 3, 1, 2))
        for block in self.blocks:
            x = block(x)
        return x


def _arch(width: int, depths: List[int], level: int, window: int,
          **extra) -> dict:
    return dict(embed_dims=[width * 2**i for i in range(4)], depths=depths,
                focal_levels=[level] * 4, focal_windows=[window] * 4,
                **extra)


_LARGE = dict(conv_embed=True, post_norm=True, layer_scale=1e-4)


@MODELS.register_module()
class FocalNet(ConvNetBackbone):
    """FocalNet backbone.

    ``patch_embed`` (stride 4) then ``layers[i]`` (stride-2 ``downsample``
    for ``i > 0``, then ``blocks``), all channels-last; ``norm{i}`` is the
    output LayerNorm of the official dense-prediction backbone, built for
    the stages in ``out_indices``. Outputs are NCHW with strides 4, 8, 16,
    32.

    The default dense form computes what the official dense backbones do
    (microsoft/FocalNet's detection/segmentation backbone; for the
    conv-embedding large archs FocalNet-DINO's ``models/dino/focal.py``):
    the input of every patch embedding is padded at the bottom/right to a
    multiple of its stride, and all ``norm{i}`` start fresh (the
    classifier's final norm is not loaded). The conv-embedding stem pads
    by 2 as in FocalNet-DINO and the classifier; microsoft/FocalNet's
    detection backbone pads it by 3, but it has no post-norm blocks or
    normalised modulator, so it cannot run the large archs' weights, and
    none of its configs use ``use_conv_embed``. The classification form
    (``classifier_form=True``) is the official classifier's: no input
    padding, and ``norm3`` takes the classifier's final norm, which it
    applies to the last stage's tokens before pooling (the neck pools).

    Args (the common ones as in :class:`ConvNetBackbone`):
        arch: ``'tiny-srf'``, ``'tiny-lrf'``, ``'small-srf'``,
            ``'small-lrf'``, ``'base-srf'``, ``'base-lrf'`` (SRF: 2 focal
            levels, kernels 3, 5; LRF: 3 levels, kernels 3, 5, 7),
            ``'large-fl3'``, ``'large-fl4'``, ``'xlarge-fl3'``,
            ``'xlarge-fl4'`` (conv embedding, post-norm, layer scale); or a
            dict with ``embed_dims``, ``depths``, ``focal_levels`` and
            ``focal_windows`` (one entry per stage) and optionally
            ``conv_embed``, ``post_norm``, ``layer_scale`` and
            ``normalize_modulator``.
        focal_windows: override the arch's first-level kernel sizes, e.g.
            ``(9, 9, 9, 9)`` as the official detection configs do; the
            classification kernels are then zero-padded on loading.
        classifier_form: build the official classifier's form (for
            classification configs): unpadded patch embeddings, and
            ``norm3`` loaded from the classifier's ``norm``.
        init_cfg: initialisation, e.g. ``dict(type='Pretrained',
            checkpoint='focalnet_tiny_srf.pth')``.
    """

    arch_zoo = {
        **dict.fromkeys(['tiny-srf', 'tiny_srf', 't-srf'],
                        _arch(96, [2, 2, 6, 2], 2, 3)),
        **dict.fromkeys(['tiny-lrf', 'tiny_lrf', 't-lrf'],
                        _arch(96, [2, 2, 6, 2], 3, 3)),
        **dict.fromkeys(['small-srf', 'small_srf', 's-srf'],
                        _arch(96, [2, 2, 18, 2], 2, 3)),
        **dict.fromkeys(['small-lrf', 'small_lrf', 's-lrf'],
                        _arch(96, [2, 2, 18, 2], 3, 3)),
        **dict.fromkeys(['base-srf', 'base_srf', 'b-srf'],
                        _arch(128, [2, 2, 18, 2], 2, 3)),
        **dict.fromkeys(['base-lrf', 'base_lrf', 'b-lrf'],
                        _arch(128, [2, 2, 18, 2], 3, 3)),
        **dict.fromkeys(['large-fl3', 'large_fl3', 'l-fl3'],
                        _arch(192, [2, 2, 18, 2], 3, 5, **_LARGE)),
        **dict.fromkeys(['large-fl4', 'large_fl4', 'l-fl4'],
                        _arch(192, [2, 2, 18, 2], 4, 3,
                              normalize_modulator=True, **_LARGE)),
        **dict.fromkeys(['xlarge-fl3', 'xlarge_fl3', 'xl-fl3'],
                        _arch(256, [2, 2, 18, 2], 3, 5, **_LARGE)),
        **dict.fromkeys(['xlarge-fl4', 'xlarge_fl4', 'xl-fl4'],
                        _arch(256, [2, 2, 18, 2], 4, 3, **_LARGE)),
    }
    arch_keys = ('embed_dims', 'depths', 'focal_levels', 'focal_windows')
    paramwise_cfg = no_weight_decay('norm')
    # Official init: linear weights ~ TN(0, 0.02) with zero biases, LayerNorms
    # to identity; convs keep PyTorch's default init.
    scratch_init = staticmethod(init_linear_layer_norm)
    classifier_norm_prefixes = ('norm.', )
    classifier_norm_pooled = False
    classifier_form_arg = 'classifier_form'
    # The official ``layers.{i}.downsample`` closes stage ``i``; here it
    # opens stage ``i + 1``. Detection checkpoints already have
    # ``norm0``-``norm3``.
    checkpoint_tables = (KeyTable((
        (r'^layers\.(\d+)\.downsample\.',
         lambda m: f'layers.{int(m.group(1)) + 1}.downsample.'), ),
        when=('layers.0.downsample.', )), )
    stem_name = 'patch_embed'
    stage_names = ('layers.{i}', )
    channels_last_maps = True

    def __init__(self,
                 arch: Union[str, dict] = 'tiny-srf',
                 *,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 focal_windows: Optional[Sequence[int]] = None,
                 classifier_form: bool = False,
                 deploy: bool = False,
                 **common: Unpack[BackboneArgs]) -> None:
        super().__init__(arch, **common)
        settings = self.arch_settings
        self.embed_dims = list(settings['embed_dims'])
        self.depths = list(settings['depths'])
        self.focal_levels = list(settings['focal_levels'])
        self.focal_windows = list(focal_windows or settings['focal_windows'])
        if len(self.focal_windows) != self.num_stages:
            raise ValueError(
                f'focal_windows needs one entry per stage '
                f'({self.num_stages}), got {self.focal_windows}.')
        conv_embed = settings.get('conv_embed', False)
        self._classifier_form = classifier_form
        pad_input = not classifier_form
        self.patch_embed = PatchEmbed(self.in_channels, self.embed_dims[0], 4,
                                      conv_embed, pad_input)
        dpr = drop_path_rates(drop_path_rate, sum(self.depths))
        self.layers = nn.ModuleList()
        for i, (width, depth) in enumerate(zip(self.embed_dims,
                                               self.depths)):
            downsample = None if i == 0 else PatchEmbed(
                self.embed_dims[i - 1], width, 2, conv_embed, pad_input)
            first = sum(self.depths[:i])
            blocks = [
                FocalNetBlock(
                    width, self.focal_levels[i], self.focal_windows[i],
                    drop_rate=drop_rate, drop_path_rate=dpr[first + j],
                    layer_scale=settings.get('layer_scale'),
                    post_norm=settings.get('post_norm', False),
                    normalize_modulator=settings.get(
                        'normalize_modulator', False))
                for j in range(depth)
            ]
            self.layers.append(FocalNetStage(downsample, blocks))
            if i in self.out_indices:
                self.add_module(f'norm{i}', nn.LayerNorm(width))
        self.finish_init(deploy)

    @property
    def classifier_form(self) -> bool:
        return self._classifier_form

    @classmethod
    def adapt_tensor(cls, key: str, value: torch.Tensor,
                     shape: torch.Size) -> torch.Tensor:
        """As the official detection loader: focal kernels of another size
        are zero-padded or centre-cropped, and the gate rows of
        ``modulation.f`` are kept when the model has more focal levels."""
        if '.focal_layers.' in key and value.dim() == 4:
            return _resize_kernel(value, shape[-1])
        if '.modulation.f.' in key:
            return _expand_gates(value, shape[0])
        return value


def _resize_kernel(weight: torch.Tensor, size: int) -> torch.Tensor:
    """Zero-pad or centre-crop a square kernel to ``size x size``."""
    if size >= weight.shape[-1]:
        return pad_kernel(weight, (size, size))
    crop = (weight.shape[-1] - size) // 2
    return weight[..., crop:-crop, crop:-crop]


def _expand_gates(value: torch.Tensor, rows: int) -> torch.Tensor:
    """Grow ``f``'s output rows ``[q, ctx, gates_0..L-1, gate_global]`` to
    more focal levels: new level gates start at zero, the global gate stays
    last."""
    if rows < value.shape[0]:
        return value
    out = value.new_zeros((rows, ) + value.shape[1:])
    out[:value.shape[0] - 1] = value[:-1]
    out[-1] = value[-1]
    return out

"""MetaFormer family: PoolFormer and ConvFormer.

* PoolFormer: Yu et al., "MetaFormer Is Actually What You Need for Vision",
  CVPR 2022 (arXiv:2111.11418), official code sail-sg/poolformer.
* ConvFormer: Yu et al., "MetaFormer Baselines for Vision", TPAMI 2023
  (arXiv:2210.13452), official code sail-sg/metaformer.

Both share one layout: ``downsample_layers[i]`` (stem or stride-2 conv),
``stages[i]`` (a sequence of MetaFormer blocks
``x = x + mixer(norm(x))``, ``x = x + mlp(norm(x))``) and an output norm
``norm{i}`` for each stage in ``out_indices``. The official checkpoints load
through each class's ``checkpoint_filter``.
"""
import re
from typing import List, Union, Unpack

import torch
from torch import nn

from mmcnn.registry import MODELS
from ..layers import (ChannelScale, DepthwiseConv2d, Mlp, PointwiseLinear,
                      Reparameterizable, StarReLU, addcmul_, build_drop_path,
                      drop_path_rates, fold_star_relu, group_rstd,
                      residual_add, scaled_residual_add)
from ..layers.fuse import fold_norm_affine, fold_output_affine
from ..layers.init import init_trunc_normal
from .base import BackboneArgs, ConvNetBackbone, no_weight_decay
from .checkpoint_keys import KeyTable


class Pooling(nn.Module):
    """PoolFormer token mixer, ``(N, C, H, W) -> (N, C, H, W)``.

    ``AvgPool3x3(x) - x`` (stride 1, padded border cells not counted); the
    block adds ``x`` back, so the residual branch is the pooled map.
    """

    def __init__(self, pool_size: int = 3) -> None:
        super().__init__()
        self.pool = nn.AvgPool2d(pool_size, stride=1,
                                 padding=pool_size // 2,
                                 count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x) - x


class PoolFormerBlock(Reparameterizable):
    """One PoolFormer block, ``(N, C, H, W) -> (N, C, H, W)``.

    ``x = x + DropPath(ls_1 * pool_mixer(GN(x)))``;
    ``x = x + DropPath(ls_2 * mlp(GN(x)))`` with single-group GroupNorms
    and the MLP ``fc2(drop(GELU(fc1(x))))`` of 1x1 convs.
    """

    def __init__(self,
                 embed_dims: int,
                 mlp_ratio: float = 4.,
                 pool_size: int = 3,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-5) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(1, embed_dims)
        self.token_mixer = Pooling(pool_size)
        self.norm2 = nn.GroupNorm(1, embed_dims)
        self.mlp = Mlp(embed_dims, int(embed_dims * mlp_ratio),
                       drop_rate=drop_rate)
        self.drop_path = build_drop_path(drop_path_rate)
        self.layer_scale_1 = nn.Parameter(
            torch.full((embed_dims, ), float(layer_scale_init_value)))
        self.layer_scale_2 = nn.Parameter(
            torch.full((embed_dims, ), float(layer_scale_init_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.deploy:
            x = self._folded_mixer(x)
            return residual_add(x, self.mlp(self.norm2(x)))
        scale_1 = self.layer_scale_1.view(-1, 1, 1)
        x = x + self.drop_path(scale_1 * self.token_mixer(self.norm1(x)))
        y = self.layer_scale_2.view(-1, 1, 1) * self.mlp(self.norm2(x))
        return residual_add(x, self.drop_path(y))

    def _folded_mixer(self, x: torch.Tensor) -> torch.Tensor:
        """``x + k * (pool(x) - x)`` with ``k = ls_1 * w / sigma(x)``.

        The mixer sees ``GN(x) = w * (x - mu) / sigma + b`` with per-sample
        ``mu`` and ``sigma``; average pooling that ignores the padding maps
        a per-channel constant to itself, so ``mu`` and ``b`` cancel in
        ``pool(GN(x)) - GN(x)`` and only ``w / sigma`` remains.
        """
        mixed = self.token_mixer(x)
        scale = self.mixer_scale.view(1, -1, 1, 1) * group_rstd(
            x, self.mixer_eps)
        return scaled_residual_add(x, mixed, scale)

    def reparameterize(self) -> None:
        """Inference form: ``layer_scale_2`` folded into ``mlp.fc2``, and
        the first half reduced to :meth:`_folded_mixer`, whose per-channel
        ``mixer_scale = ls_1 * w`` replaces ``layer_scale_1`` and ``norm1``
        (of which only ``eps`` remains). Drop path is dropped."""
        self.mlp.fc2 = fold_output_affine(self.mlp.fc2, self.layer_scale_2)
        self.layer_scale_2 = None
        scale = self.layer_scale_1.detach() * self.norm1.weight.detach()
        self.mixer_scale = nn.Parameter(scale)
        self.mixer_eps = self.norm1.eps
        del self.layer_scale_1, self.norm1
        self.drop_path = nn.Identity()


class SepConv(nn.Module):
    """ConvFormer token mixer on channels-last maps,
    ``(N, H, W, C) -> (N, H, W, C)``.

    Inverted separable conv (MobileNetV2 style, bias-free):
    ``pwconv2(DW7x7(StarReLU(pwconv1(x))))`` with a 2x expansion.
    """

    def __init__(self,
                 embed_dims: int,
                 expansion_ratio: float = 2.,
                 kernel_size: int = 7) -> None:
        super().__init__()
        hidden_dims = int(expansion_ratio * embed_dims)
        self.pwconv1 = PointwiseLinear(embed_dims, hidden_dims, bias=False)
        self.act1 = StarReLU()
        self.dwconv = DepthwiseConv2d(hidden_dims, kernel_size,
                                      padding=kernel_size // 2, bias=False)
        self.pwconv2 = PointwiseLinear(hidden_dims, embed_dims, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act1(self.pwconv1(x)).permute(0, 3, 1, 2)
        x = self.dwconv(x).permute(0, 2, 3, 1)
        return self.pwconv2(x)


def _ln_no_bias(embed_dims: int) -> nn.LayerNorm:
    return nn.LayerNorm(embed_dims, eps=1e-6, bias=False)


class ConvFormerBlock(Reparameterizable):
    """One ConvFormer block, ``(N, H, W, C) -> (N, H, W, C)``.

    ``x = r_1 * x + DropPath(SepConv(LN(x)))``;
    ``x = r_2 * x + DropPath(mlp(LN(x)))`` with bias-free LayerNorms, the
    MLP ``fc2(drop(StarReLU(fc1(x))))`` of bias-free linears, and
    residual scales ``r`` (learnable vectors initialised to 1 in the last
    two stages, identity otherwise).
    """

    def __init__(self,
                 embed_dims: int,
                 mlp_ratio: float = 4.,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 res_scale: bool = False) -> None:
        super().__init__()
        self.norm1 = _ln_no_bias(embed_dims)
        self.token_mixer = SepConv(embed_dims)
        self.drop_path = build_drop_path(drop_path_rate)
        self.norm2 = _ln_no_bias(embed_dims)
        self.mlp = Mlp(embed_dims, int(embed_dims * mlp_ratio),
                       channels_last=True, bias=False, act=StarReLU(),
                       drop_rate=drop_rate)
        self.res_scale1 = (ChannelScale(embed_dims)
                           if res_scale else nn.Identity())
        self.res_scale2 = (ChannelScale(embed_dims)
                           if res_scale else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.drop_path(self.token_mixer(self.norm1(x)))
        x = self._add_scaled(branch, x, self.res_scale1)
        branch = self.drop_path(self.mlp(self.norm2(x)))
        return self._add_scaled(branch, x, self.res_scale2)

    @staticmethod
    def _add_scaled(branch: torch.Tensor, x: torch.Tensor,
                    res_scale: nn.Module) -> torch.Tensor:
        """``res_scale(x) + branch`` in one pass (over ``branch`` when
        autograd is off)."""
        if isinstance(res_scale, ChannelScale):
            return addcmul_(branch, x, res_scale.scale)
        return residual_add(x, branch)

    def reparameterize(self) -> None:
        """Inference form: both norms' weights folded into the projections
        reading them (``token_mixer.pwconv1``, ``mlp.fc1``), StarReLU's
        affine into ``mlp.fc2`` (``fc2(s * relu(h)^2 + b) = fc2'(relu(h)^2)``,
        ``fc2'`` gaining the bias ``b * W_2 1``); drop path is dropped."""
        self.norm1, self.token_mixer.pwconv1 = fold_norm_affine(
            self.norm1, self.token_mixer.pwconv1)
        self.norm2, self.mlp.fc1 = fold_norm_affine(self.norm2, self.mlp.fc1)
        self.mlp.act, self.mlp.fc2 = fold_star_relu(self.mlp.act, self.mlp.fc2)
        self.drop_path = nn.Identity()


class ConvFormerDownsampling(Reparameterizable):
    """Strided conv into channels-last maps,
    ``(N, H, W, C_in) -> (N, H / s, W / s, C_out)``; the stem reads the
    ``(N, C_in, H, W)`` image.

    The stem (7x7, stride 4, padding 2) normalises after the conv; the
    other downsamplings (3x3, stride 2, padding 1) before it (bias-free
    LayerNorms).
    """

    def __init__(self, in_channels: int, out_channels: int,
                 is_stem: bool) -> None:
        super().__init__()
        self.is_stem = is_stem
        kernel_size, stride, padding = (7, 4, 2) if is_stem else (3, 2, 1)
        self.pre_norm = (nn.Identity() if is_stem
                         else _ln_no_bias(in_channels))
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size,
                              stride=stride, padding=padding)
        self.post_norm = (_ln_no_bias(out_channels) if is_stem
                          else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.is_stem:
            x = self.pre_norm(x).permute(0, 3, 1, 2)
        return self.post_norm(self.conv(x).permute(0, 2, 3, 1))

    def reparameterize(self) -> None:
        """Fold the pre-norm's weight into the conv (the stem has none and
        keeps its post-norm, which feeds the residual stream)."""
        if not self.is_stem:
            self.pre_norm, self.conv = fold_norm_affine(self.pre_norm,
                                                        self.conv)


class _MetaFormerBackbone(ConvNetBackbone):
    """Shared skeleton: ``downsample_layers``, ``stages`` and the output
    norms ``norm{i}`` of the stages in ``out_indices``."""

    arch_keys = ('embed_dims', 'depths')

    def __init__(self,
                 arch: Union[str, dict],
                 **common: Unpack[BackboneArgs]) -> None:
        super().__init__(arch, **common)
        self.embed_dims = list(self.arch_settings['embed_dims'])
        self.depths = list(self.arch_settings['depths'])
        self.downsample_layers = nn.ModuleList()
        self.stages = nn.ModuleList()


def _poolformer_arch(widths: List[int], depths: List[int],
                     layer_scale: float) -> dict:
    return dict(embed_dims=widths, depths=depths, mlp_ratios=[4] * 4,
                layer_scale_init_value=layer_scale)


def _network_entry(match: re.Match[str]) -> str:
    """``network.{2i}.`` -> ``stages.{i}.``; ``network.{2i - 1}.`` and
    its ``proj.`` -> ``downsample_layers.{i}.``."""
    index = int(match.group(1))
    if index % 2 == 0:
        return f'stages.{index // 2}.{match.group(2) or ""}'
    return f'downsample_layers.{(index + 1) // 2}.'


# sail-sg/poolformer's keys -> mmcnn's. The official model is a flat
# ``network`` list alternating stages (even entries) and downsamplings (odd
# entries) after ``patch_embed``; its dense-prediction outputs are
# ``norm0``, ``norm2``, ``norm4``, ``norm6``. mmcnn-layout checkpoints pass
# unchanged.
_POOLFORMER_OFFICIAL_KEYS = KeyTable((
    (r'^patch_embed\.proj\.', 'downsample_layers.0.'),
    (r'^network\.(\d+)\.(proj\.)?', _network_entry),
    (r'^norm(\d+)\.', lambda m: f'norm{int(m.group(1)) // 2}.'),
), when=('network.', 'patch_embed.'))


@MODELS.register_module()
class PoolFormer(_MetaFormerBackbone):
    """PoolFormer backbone (MetaFormer with a pooling token mixer).

    ``downsample_layers[0]`` is a 7x7 stride-4 conv, the others 3x3
    stride-2 convs (no norm); ``stages[i]`` are :class:`PoolFormerBlock`;
    ``norm{i}`` is a GroupNorm(1) on the output of each stage in
    ``out_indices``, as in the official ``fork_feat`` models for detection
    and segmentation, which create them fresh and leave the classifier's
    final ``norm`` unloaded. The classification form
    (``classifier_form=True``) loads that norm into ``norm3``: the official
    classifier applies it to the last stage's map before pooling.

    Args (the common ones as in :class:`ConvNetBackbone`):
        arch: ``'s12'``, ``'s24'``, ``'s36'``, ``'m36'``, ``'m48'`` or a
            dict with ``embed_dims``, ``depths`` and ``mlp_ratios`` (one
            entry per stage) and optionally ``layer_scale_init_value``.
        classifier_form: build the official classifier's form (for
            classification configs): ``norm3`` is loaded from the
            classifier's ``norm``.
        init_cfg: initialisation, e.g. ``dict(type='Pretrained',
            checkpoint='poolformer_s12.pth.tar')``.
    """

    arch_zoo = {
        's12': _poolformer_arch([64, 128, 320, 512], [2, 2, 6, 2], 1e-5),
        's24': _poolformer_arch([64, 128, 320, 512], [4, 4, 12, 4], 1e-5),
        's36': _poolformer_arch([64, 128, 320, 512], [6, 6, 18, 6], 1e-6),
        'm36': _poolformer_arch([96, 192, 384, 768], [6, 6, 18, 6], 1e-6),
        'm48': _poolformer_arch([96, 192, 384, 768], [8, 8, 24, 8], 1e-6),
    }
    arch_keys = ('embed_dims', 'depths', 'mlp_ratios')
    classifier_norm_prefixes = ('norm.', )
    paramwise_cfg = no_weight_decay('layer_scale')
    classifier_norm_pooled = False
    classifier_form_arg = 'classifier_form'
    checkpoint_tables = (_POOLFORMER_OFFICIAL_KEYS, )

    def __init__(self,
                 arch: Union[str, dict] = 's12',
                 *,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 classifier_form: bool = False,
                 deploy: bool = False,
                 **common: Unpack[BackboneArgs]) -> None:
        super().__init__(arch, **common)
        self.mlp_ratios = list(self.arch_settings['mlp_ratios'])
        self._classifier_form = classifier_form
        layer_scale = self.arch_settings.get('layer_scale_init_value', 1e-5)
        dpr = drop_path_rates(drop_path_rate, sum(self.depths))
        channels = self.in_channels
        for i, (width, depth) in enumerate(zip(self.embed_dims,
                                               self.depths)):
            if i == 0:
                down = nn.Conv2d(channels, width, 7, stride=4, padding=2)
            else:
                down = nn.Conv2d(channels, width, 3, stride=2, padding=1)
            first = sum(self.depths[:i])
            self.downsample_layers.append(down)
            self.stages.append(nn.Sequential(*(
                PoolFormerBlock(width, self.mlp_ratios[i],
                                drop_rate=drop_rate,
                                drop_path_rate=dpr[first + j],
                                layer_scale_init_value=layer_scale)
                for j in range(depth))))
            if i in self.out_indices:
                self.add_module(f'norm{i}', nn.GroupNorm(1, width))
            channels = width
        self.finish_init(deploy)

    @property
    def classifier_form(self) -> bool:
        return self._classifier_form

    def init_from_scratch(self) -> None:
        """Official init: MLP convs ~ TN(0, 0.02) with zero biases; the
        downsampling convs keep PyTorch's default init."""
        for m in self.modules():
            if isinstance(m, Mlp):
                init_trunc_normal(m)


@MODELS.register_module()
class ConvFormer(_MetaFormerBackbone):
    """ConvFormer backbone (MetaFormer with separable-conv token mixers).

    Internally channels-last as the official code. ``downsample_layers``
    are :class:`ConvFormerDownsampling`, ``stages[i]`` are
    :class:`ConvFormerBlock` (residual scales in the last two stages) and
    ``norm{i}`` a LayerNorm on the output of each stage in ``out_indices``,
    added for dense prediction (the classification model normalises only
    after pooling; these start with unit scale and zero shift). Outputs are
    NCHW. With ``gap_before_final_norm`` (the classification form) ``norm3``
    takes the official classifier's ``norm``.

    Args (the common ones as in :class:`ConvNetBackbone`):
        arch: ``'s18'``, ``'s36'``, ``'m36'``, ``'b36'`` or a dict with
            ``embed_dims`` and ``depths`` (one entry per stage).
        gap_before_final_norm: build the classification form
            (:attr:`ConvNetBackbone.gap_before_final_norm`).
        init_cfg: initialisation, e.g. ``dict(type='Pretrained',
            checkpoint='convformer_s18.pth')``.
    """

    arch_zoo = {
        's18': dict(embed_dims=[64, 128, 320, 512], depths=[3, 3, 9, 3]),
        's36': dict(embed_dims=[64, 128, 320, 512], depths=[3, 12, 18, 3]),
        'm36': dict(embed_dims=[96, 192, 384, 576], depths=[3, 12, 18, 3]),
        'b36': dict(embed_dims=[128, 256, 512, 768], depths=[3, 12, 18, 3]),
    }
    res_scale_stages = (2, 3)
    paramwise_cfg = no_weight_decay('norm', 'res_scale', '.act')
    # Official init: conv and linear weights ~ TN(0, 0.02), zero biases.
    scratch_init = staticmethod(init_trunc_normal)
    channels_last_maps = True
    classifier_norm_prefixes = ('norm.', )
    classifier_form_arg = 'gap_before_final_norm'
    # The official MLP head: hidden width 4x the channels.
    classifier_head = dict(mlp_ratio=4)

    def __init__(self,
                 arch: Union[str, dict] = 's18',
                 *,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 deploy: bool = False,
                 gap_before_final_norm: bool = False,
                 **common: Unpack[BackboneArgs]) -> None:
        super().__init__(arch, **common)
        self.gap_before_final_norm = gap_before_final_norm
        dpr = drop_path_rates(drop_path_rate, sum(self.depths))
        channels = self.in_channels
        for i, (width, depth) in enumerate(zip(self.embed_dims,
                                               self.depths)):
            first = sum(self.depths[:i])
            self.downsample_layers.append(
                ConvFormerDownsampling(channels, width, is_stem=i == 0))
            self.stages.append(nn.Sequential(*(
                ConvFormerBlock(width, drop_rate=drop_rate,
                                drop_path_rate=dpr[first + j],
                                res_scale=i in self.res_scale_stages)
                for j in range(depth))))
            if i in self.out_indices:
                self.add_module(f'norm{i}', nn.LayerNorm(width, eps=1e-6))
            channels = width
        self.finish_init(deploy)


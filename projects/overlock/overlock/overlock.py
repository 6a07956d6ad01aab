"""OverLoCK: an Overview-first, Look-Closely-next ConvNet.

Lou and Yu, "OverLoCK: An Overview-first-Look-Closely-next ConvNet with
Context-Mixing Dynamic Kernels", CVPR 2025 (arXiv:2502.20087). Three
sub-networks: the Base-Net (stem and stages 0-2 of re-parameterised
large-kernel blocks), the light Overview-Net (stage 3 on the Base-Net's
stride-16 map, giving a coarse context ``P``) and the Focus-Net
(ContMix blocks at strides 16 and 32, guided top-down by ``P``).

Inside each block the official layers keep their names (LMMMEng/OverLoCK,
``models/overlock.py``); the sub-networks are renamed to mmcnn's stage
layout by :data:`OFFICIAL_KEYS`.
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmpretrain.models.heads import ClsHead
from torch import nn

from mmcnn.models.backbones.base import ConvNetBackbone
from mmcnn.models.backbones.checkpoint_keys import Flatten, KeyTable
from mmcnn.models.backbones.unireplknet import \
    DilatedReparamBlock as _UniRepLKDilatedBlock
from mmcnn.models.layers import (GRN, DepthwiseConv2d, LayerNorm2d,
                                 Reparameterizable, build_drop_path,
                                 drop_path_rates)
from mmcnn.registry import MODELS
from .neighborhood import na2d_av, relative_bias

#: Kernel sizes and dilations of the parallel branches of OverLoCK's
#: dilated re-param block, by the large kernel size (official table; it
#: differs from UniRepLKNet's by extra non-dilated branches).
DILATED_BRANCHES = {
    19: ((5, 7, 9, 9, 3, 3, 3), (1, 1, 1, 2, 4, 5, 7)),
    17: ((5, 7, 9, 3, 3, 3), (1, 1, 2, 4, 5, 7)),
    15: ((5, 7, 7, 3, 3, 3), (1, 1, 2, 3, 5, 7)),
    13: ((5, 7, 7, 3, 3, 3), (1, 1, 2, 3, 4, 5)),
    11: ((5, 7, 5, 3, 3, 3), (1, 1, 2, 3, 4, 5)),
    9: ((5, 7, 5, 3, 3), (1, 1, 2, 3, 4)),
    7: ((5, 3, 3, 3), (1, 1, 2, 3)),
    5: ((3, 3), (1, 2)),
}


class DilatedReparamBlock(_UniRepLKDilatedBlock):
    """``BN_0(DW_K(x)) + sum_i BN_i(DW_{k_i, r_i}(x))`` with OverLoCK's
    branches (:data:`DILATED_BRANCHES`), ``(N, C, H, W) -> (N, C, H, W)``;
    UniRepLKNet's forward and fold (one biased ``K x K`` conv)."""

    def __init__(self, channels: int, kernel_size: int,
                 deploy: bool = False) -> None:
        Reparameterizable.__init__(self)
        try:
            self.kernel_sizes, self.dilates = DILATED_BRANCHES[kernel_size]
        except KeyError:
            raise ValueError(
                f'OverLoCK has no dilated re-param setting for kernel size '
                f'{kernel_size}; choose one of {sorted(DILATED_BRANCHES)}.'
            ) from None
        self.deploy = deploy
        self.lk_origin = DepthwiseConv2d(channels, kernel_size, bias=deploy)
        layers = {} if deploy else {'origin_bn': nn.BatchNorm2d(channels)}
        for k, r in ([] if deploy else self.branches):
            layers[f'dil_conv_k{k}_{r}'] = DepthwiseConv2d(
                channels, k, dilation=r, bias=False)
            layers[f'dil_bn_k{k}_{r}'] = nn.BatchNorm2d(channels)
        for name, layer in layers.items():
            self.add_module(name, layer)


class ResDWConv(DepthwiseConv2d):
    """``x + DW_k(x)`` (biased depth-wise conv), ``(N, C, H, W)``."""

    def __init__(self, channels: int, kernel_size: int = 3) -> None:
        super().__init__(channels, kernel_size, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + super().forward(x)


class GRN2d(GRN):
    """:class:`~mmcnn.models.layers.GRN` on an ``(N, C, H, W)`` map."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class LayerScale(nn.Module):
    """Per-channel affine ``w_c x + b_c`` stored as a depth-wise 1x1 conv
    (``weight (C, 1, 1, 1)``, ``bias (C,)``, the official layout)."""

    def __init__(self, channels: int, init_value: float = 1e-5) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels, 1, 1, 1),
                                              float(init_value)))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addcmul(self.bias.view(1, -1, 1, 1), x,
                             self.weight.view(1, -1, 1, 1))


class SEModule(nn.Module):
    """``x * sigmoid(W_2 GELU(W_1 GAP(x)))``, hidden ``max(16, C / 8)``."""

    def __init__(self, channels: int, reduction: int = 8) -> None:
        super().__init__()
        hidden = max(16, channels // reduction)
        self.proj = nn.Sequential(nn.AdaptiveAvgPool2d(1),
                                  nn.Conv2d(channels, hidden, 1), nn.GELU(),
                                  nn.Conv2d(hidden, channels, 1),
                                  nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.proj(x)


def conv_bn(in_channels: int, out_channels: int, kernel_size: int = 1,
            stride: int = 1) -> nn.Sequential:
    """``BN(conv(x))``, bias-free conv with "same" padding (keys ``0.*``,
    ``1.*``)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                  kernel_size // 2, bias=False),
        nn.BatchNorm2d(out_channels))


def stem(in_channels: int, channels: int) -> nn.Sequential:
    """Four 3x3 conv-BN (strides 2, 1, 2, 1; GELU between), ``(N, C_in, H,
    W) -> (N, C, H/4, W/4)``."""
    half = channels // 2
    layers = []
    for c_in, c_out, stride in ((in_channels, half, 2), (half, half, 1),
                                (half, channels, 2), (channels, channels,
                                                      1)):
        layers += [*conv_bn(c_in, c_out, 3, stride), nn.GELU()]
    return nn.Sequential(*layers[:-1])


class RepConvBlock(nn.Module):
    """Base-Net / Overview-Net block, ``(N, C, H, W) -> (N, C, H, W)``:
    ``x = x + DW3(x)``; ``y = ls(x) + FFN(SE(BN(DilRep_K(LN(x)))))`` with
    the FFN ``W_2 GRN(x' + DW3(x'))``, ``x' = GELU(W_1 .)``, ratio
    ``mlp_ratio``; ``ls`` is a per-channel affine or the identity."""

    def __init__(self, channels: int, kernel_size: int, mlp_ratio: float,
                 ls_init_value: Optional[float], drop_path: float = 0.,
                 deploy: bool = False) -> None:
        super().__init__()
        hidden = int(channels * mlp_ratio)
        self.dwconv = ResDWConv(channels, 3)
        self.proj = nn.Sequential(
            LayerNorm2d(channels),
            DilatedReparamBlock(channels, kernel_size, deploy),
            nn.BatchNorm2d(channels), SEModule(channels),
            nn.Conv2d(channels, hidden, 1), nn.GELU(), ResDWConv(hidden, 3),
            GRN2d(hidden), nn.Conv2d(hidden, channels, 1),
            build_drop_path(drop_path))
        self.ls = (LayerScale(channels, ls_init_value)
                   if ls_init_value is not None else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.dwconv(x)
        return self.ls(x) + self.proj(x)


class ContMix(nn.Module):
    """Context-mixing dynamic convolution (paper Eq. 4-6).

    ``(N, C, H, W)`` features ``x``, the fused map ``x_f`` (queries from
    its first ``C`` channels, keys from its context channels) ->
    ``(N, C, H, W)``. Per head ``g`` (``2 * num_heads`` heads, the first
    half with the small kernel ``S``, the second with ``K``): affinities
    ``A = (Q_g * d^-1/2)^T K_g`` of every pixel with the 7x7 pooled
    context, ``(HW, 49)``; the kernel ``softmax(A W + b + B_rel)`` of
    ``K^2`` (or ``S^2``) weights per pixel; then :func:`na2d_av` of the
    head's values with it. Maps smaller than ``K`` are resized to fit and
    pooled back (official behaviour).
    """

    def __init__(self, channels: int, ctx_channels: int, kernel_size: int,
                 smk_size: int, num_heads: int) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.smk_size = smk_size
        self.num_heads = num_heads * 2
        self.scale = (channels // self.num_heads)**-0.5
        self.weight_query = conv_bn(channels, channels // 2)
        self.weight_key = nn.Sequential(nn.AdaptiveAvgPool2d(7),
                                        *conv_bn(ctx_channels,
                                                 channels // 2))
        self.weight_proj = nn.Conv2d(49, kernel_size**2 + smk_size**2, 1)
        self.rpb1 = nn.Parameter(
            torch.zeros(self.num_heads, 2 * smk_size - 1, 2 * smk_size - 1))
        self.rpb2 = nn.Parameter(
            torch.zeros(self.num_heads, 2 * kernel_size - 1,
                        2 * kernel_size - 1))

    def forward(self, x: torch.Tensor, x_f: torch.Tensor) -> torch.Tensor:
        size = x.shape[2:]
        n, c, h, w = x.shape
        k = self.kernel_size
        resized = min(h, w) < k
        if resized:
            h, w = ((k, int(k / h * w)) if h < w else (int(k / w * h), k))
            x = F.interpolate(x, size=(h, w), mode='bilinear',
                              align_corners=False)
            x_f = F.interpolate(x_f, size=(h, w), mode='bilinear',
                                align_corners=False)
        g = self.num_heads
        query = self.weight_query(x_f[:, :c]) * self.scale
        key = self.weight_key(x_f[:, c:])
        query = query.reshape(n, g, -1, h * w)
        key = key.reshape(n, g, -1, 49)
        affinity = torch.matmul(query.transpose(-2, -1), key)
        weight = F.linear(affinity, self.weight_proj.weight.flatten(1),
                          self.weight_proj.bias)
        weight = weight.view(n, g, h, w, -1)
        small, large = weight.split([self.smk_size**2, k**2], dim=-1)
        small = (small + relative_bias(self.rpb1, h, w, self.smk_size)
                 ).softmax(dim=-1)
        large = (large + relative_bias(self.rpb2, h, w, k)).softmax(dim=-1)
        value = x.reshape(n, 2, g, c // (2 * g), h, w).permute(1, 0, 2, 4, 5,
                                                               3)
        out = torch.cat([
            na2d_av(small, value[0], self.smk_size),
            na2d_av(large, value[1], k)
        ], dim=1)
        out = out.permute(0, 1, 4, 2, 3).reshape(n, c, h, w)
        if resized:
            out = F.adaptive_avg_pool2d(out, size)
        return out


class DynamicConvBlock(nn.Module):
    """Focus-Net block: features ``x (N, C, H, W)``, its context ``h (N,
    C_h, H, W)`` and the Overview-Net's context ``P`` -> new ``x`` and
    ``h`` (or one ``(N, C + C_h, H, W)`` map for the last block).

    ``h = a h + b P`` (not in the first block); ``z = [x, h] + DW3([x,
    h])``; ``u = Fuse(LN(z))``; ``y = SE(BN(W ContMix(u, LN(z))) +
    BN(DilRep_K(u))) * SiLU(BN(W_g u))``; ``z = ls1(z) + W_p BN(y)``;
    ``z = z + DW3(z)``; ``z = ls2(z) + FFN(LN(z))``.
    """

    def __init__(self, channels: int, ctx_channels: int, kernel_size: int,
                 smk_size: int, num_heads: int, mlp_ratio: float,
                 ls_init_value: Optional[float], drop_path: float = 0.,
                 is_first: bool = False, is_last: bool = False,
                 deploy: bool = False) -> None:
        super().__init__()
        ctx = ctx_channels // 4
        fused = channels + ctx
        hidden = int(channels * mlp_ratio)
        self.channels = channels
        self.is_first, self.is_last = is_first, is_last
        if not is_first:
            self.x_scale = LayerScale(ctx, 1)
            self.h_scale = LayerScale(ctx, 1)
        self.dwconv1 = ResDWConv(fused, 3)
        self.norm1 = LayerNorm2d(fused)
        self.fusion = nn.Sequential(
            nn.Conv2d(fused, fused, 3, padding=1, groups=fused),
            nn.BatchNorm2d(fused), nn.GELU(), nn.Conv2d(fused, channels, 1),
            GRN2d(channels))
        self.contmix = ContMix(channels, ctx, kernel_size, smk_size,
                               num_heads)
        self.dyconv_proj = conv_bn(channels, channels)
        self.lepe = nn.Sequential(
            DilatedReparamBlock(channels, kernel_size, deploy),
            nn.BatchNorm2d(channels))
        self.se_layer = SEModule(channels)
        self.gate = nn.Sequential(*conv_bn(channels, channels), nn.SiLU())
        self.proj = nn.Sequential(nn.BatchNorm2d(channels),
                                  nn.Conv2d(channels, fused, 1))
        self.dwconv2 = ResDWConv(fused, 3)
        self.norm2 = LayerNorm2d(fused)
        self.mlp = nn.Sequential(nn.Conv2d(fused, hidden, 1), nn.GELU(),
                                 ResDWConv(hidden, 3), GRN2d(hidden),
                                 nn.Conv2d(hidden, fused, 1))
        self.ls1 = (LayerScale(fused, ls_init_value)
                    if ls_init_value is not None else nn.Identity())
        self.ls2 = (LayerScale(fused, ls_init_value)
                    if ls_init_value is not None else nn.Identity())
        self.drop_path = build_drop_path(drop_path)

    def forward(self, x: torch.Tensor, h: torch.Tensor, overview: torch.Tensor
                ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        if not self.is_first:
            h = self.x_scale(h) + self.h_scale(overview)
        z = self.dwconv1(torch.cat([x, h], dim=1))
        identity = z
        z = self.norm1(z)
        u = self.fusion(z)
        gate = self.gate(u)
        y = self.dyconv_proj(self.contmix(u, z)) + self.lepe(u)
        y = self.proj(gate * self.se_layer(y))
        z = self.dwconv2(self.ls1(identity) + self.drop_path(y))
        z = self.ls2(z) + self.drop_path(self.mlp(self.norm2(z)))
        if self.is_last:
            return z, None
        return z[:, :self.channels], z[:, self.channels:]


#: Official (classification, detection, segmentation) keys -> mmcnn's.
OFFICIAL_KEYS = KeyTable((
    (r'^patch_embed([1-4])\.', lambda m: f'downsample_layers.'
     f'{int(m.group(1)) - 1}.'),
    (r'^blocks([1-4])\.', lambda m: f'stages.{int(m.group(1)) - 1}.'),
    (r'^sub_blocks([34])\.', lambda m: f'focus_stages.'
     f'{int(m.group(1)) - 3}.'),
    (r'^patch_embedx\.', 'focus_downsample.'),
    (r'^high_level_proj\.', 'context_proj.'),
    (r'^extra_norm\.([0-3])\.', r'norm\1.'),
    (r'^extra_norm\.4\.', 'context_norm.'),
    (r'^h_proj\.', 'context_fusion.'),
    (r'\.(weight_query|weight_key|weight_proj|rpb1|rpb2)', r'.contmix.\1'),
), when=('patch_embed1.', ))


@MODELS.register_module()
class OverLoCK(ConvNetBackbone):
    """OverLoCK backbone, ``(N, C_in, H, W)`` -> one map per stage in
    ``out_indices``.

    Dense form (default; official detection/segmentation backbones):
    stage 0/1 are the Base-Net's stride-4/8 maps (``C_0``, ``C_1``), the
    normalised stride-8 map (``norm1``) also feeding stage 2, as in the
    official dense backbones (``norm1`` is always built);
    stage 2 is the Focus-Net's stride-16 map concatenated with its context,
    ``C_2 + C_3 / 4`` channels; stage 3 the Focus-Net's stride-32 map,
    ``C_3 + C_3 / 4``, each through a LayerNorm ``norm{i}``. With
    ``context_fusion`` (official detection) stage 3 adds
    ``ls(W LN(P))`` of the Overview-Net's output ``P``; without it (official
    segmentation) it does not. The classification form
    (``classifier_form=True``) returns the last Focus-Net map un-normed,
    which :class:`OverLoCKClsHead` classifies.

    Args:
        arch: ``'xt'``, ``'t'``, ``'s'``, ``'b'`` or a dict with
            ``embed_dims``, ``depths``, ``sub_depths`` (0 for stages 0/1),
            ``kernel_sizes``, ``sub_num_heads`` (0 for stages 0/1),
            ``mlp_ratios``, ``sub_mlp_ratios`` (0 for stages 0/1).
        context_fusion: add the Overview-Net's context to stage 3.
        classifier_form: the official classifier's features.
        smk_size: ContMix's small kernel.
        drop_path_rate: stochastic depth, rising over all blocks.
        deploy: build with the dilated branches folded.
        Others: as in :class:`ConvNetBackbone`.
    """

    arch_zoo = {
        'xt': dict(embed_dims=[56, 112, 256, 336], depths=[2, 2, 3, 2],
                   sub_depths=[0, 0, 6, 2], sub_num_heads=[0, 0, 4, 6]),
        't': dict(embed_dims=[64, 128, 256, 512], depths=[4, 4, 6, 2],
                  sub_depths=[0, 0, 12, 2], sub_num_heads=[0, 0, 4, 8]),
        's': dict(embed_dims=[64, 128, 320, 512], depths=[6, 6, 8, 3],
                  sub_depths=[0, 0, 16, 3], sub_num_heads=[0, 0, 8, 16]),
        'b': dict(embed_dims=[80, 160, 384, 576], depths=[8, 8, 10, 4],
                  sub_depths=[0, 0, 20, 4], sub_num_heads=[0, 0, 6, 9]),
    }
    for _arch in arch_zoo.values():
        _arch.update(kernel_sizes=[17, 15, 13, 7], mlp_ratios=[4, 4, 4, 4],
                     sub_mlp_ratios=[0, 0, 3, 3])
    del _arch
    arch_keys = ('embed_dims', 'depths', 'sub_depths', 'kernel_sizes',
                 'sub_num_heads', 'mlp_ratios', 'sub_mlp_ratios')
    classifier_head_prefixes = ('head.', 'aux_head.')
    classifier_form_arg = 'classifier_form'
    checkpoint_tables = (OFFICIAL_KEYS, )
    checkpoint_reshapes = (Flatten(r'\.(fusion\.4|mlp\.3|proj\.7)\.'
                                   r'(gamma|beta)$', 1), )
    extra_dropped = ()

    def __init__(self,
                 arch: Union[str, dict] = 't',
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = (0, 1, 2, 3),
                 frozen_stages: int = 0,
                 norm_eval: bool = False,
                 context_fusion: bool = True,
                 classifier_form: bool = False,
                 smk_size: int = 5,
                 ls_init_values: Sequence[Optional[float]] = (None, None, 1.,
                                                              1.),
                 drop_path_rate: float = 0.,
                 deploy: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(arch=arch, out_indices=out_indices,
                         frozen_stages=frozen_stages, norm_eval=norm_eval,
                         init_cfg=init_cfg, channels_last=False,
                         in_channels=in_channels)
        if self.num_stages != 4:
            raise ValueError(f'OverLoCK has 4 stages; the arch gives '
                             f'{self.num_stages}.')
        s = self.arch_settings
        dims = s['embed_dims']
        self.deploy = deploy
        self._classifier_form = classifier_form
        self.fuse_context = context_fusion and not classifier_form
        ctx = dims[3] // 4
        self.embed_dims = [dims[0], dims[1], dims[2] + ctx, dims[3] + ctx]
        if classifier_form:
            self.out_indices = [3]
        rates = iter(drop_path_rates(
            drop_path_rate, sum(s['depths']) + sum(s['sub_depths'])))
        inputs = [in_channels] + dims[:3]
        self.downsample_layers = nn.ModuleList(
            stem(c_in, c_out) if i == 0 else conv_bn(c_in, c_out, 3, 2)
            for i, (c_in, c_out) in enumerate(zip(inputs, dims)))
        self.stages = nn.ModuleList(
            nn.Sequential(*(RepConvBlock(dims[i], s['kernel_sizes'][i],
                                         s['mlp_ratios'][i],
                                         ls_init_values[i], next(rates),
                                         deploy)
                            for _ in range(s['depths'][i])))
            for i in range(4))
        self.context_proj = nn.Conv2d(dims[3], ctx, 1)
        self.focus_downsample = nn.Module()
        self.focus_downsample.x_proj = conv_bn(dims[2], dims[3], 3, 2)
        self.focus_downsample.h_proj = conv_bn(ctx, ctx, 3, 2)
        self.focus_stages = nn.ModuleList()
        for i in (2, 3):
            depth = s['sub_depths'][i]
            self.focus_stages.append(nn.ModuleList(
                DynamicConvBlock(dims[i], dims[3], s['kernel_sizes'][i],
                                 smk_size, s['sub_num_heads'][i],
                                 s['sub_mlp_ratios'][i], ls_init_values[i],
                                 next(rates), is_first=(i == 2 and j == 0),
                                 is_last=(i == 3 and j == depth - 1),
                                 deploy=deploy)
                for j in range(depth)))
        if not classifier_form:
            for i in sorted(set(self.out_indices) | {1}):
                self.add_module(f'norm{i}', LayerNorm2d(self.embed_dims[i]))
            if self.fuse_context and 3 in self.out_indices:
                self.context_norm = LayerNorm2d(dims[3])
                self.context_fusion = nn.Sequential(
                    nn.Conv2d(dims[3], self.embed_dims[3], 1),
                    LayerScale(self.embed_dims[3], 1e-5))
        self.finish_init(False)

    @property
    def classifier_form(self) -> bool:
        """Whether this is the official classifier's feature form."""
        return self._classifier_form

    def stage_modules(self, index: int) -> List[nn.Module]:
        """Stage ``index``'s Base/Overview-Net modules, and for stages 2
        and 3 the Focus-Net's, with their output norms."""
        modules = super().stage_modules(index)
        if index == 2:
            modules.append(self.focus_stages[0])
        elif index == 3:
            modules += [self.context_proj, self.focus_downsample,
                        self.focus_stages[1]]
            modules += [getattr(self, name) for name in ('context_norm',
                                                         'context_fusion')
                        if isinstance(getattr(self, name, None), nn.Module)]
        return modules

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """The Base-Net, the Overview-Net, then the Focus-Net guided by
        its context (see the class docstring for what each stage
        returns)."""
        x = self.prepare_input(x)
        maps = []
        for i in range(3):
            x = self.stages[i](self.downsample_layers[i](x))
            maps.append(x)
            if i == 1 and not self.classifier_form:
                x = maps[1] = self.norm1(x)
        overview = self.stages[3](self.downsample_layers[3](x))
        ctx = self.context_proj(overview)
        ctx_up = F.interpolate(ctx, size=x.shape[2:], mode='bilinear',
                               align_corners=False)
        h = ctx_up
        for block in self.focus_stages[0]:
            x, h = block(x, h, ctx_up)
        maps[2] = torch.cat([x, h], dim=1)
        x = self.focus_downsample.x_proj(x)
        h = self.focus_downsample.h_proj(h)
        for block in self.focus_stages[1]:
            x, h = block(x, h, ctx)
        if self.classifier_form:
            return (x, )
        maps.append(x)
        outs = [maps[1] if i == 1 else getattr(self, f'norm{i}')(maps[i])
                for i in self.out_indices]
        if self.fuse_context and 3 in self.out_indices:
            outs[-1] = outs[-1] + self.context_fusion(
                self.context_norm(overview))
        return tuple(outs)


@MODELS.register_module()
class OverLoCKClsHead(ClsHead):
    """The official classifier head on the last Focus-Net map ``(N, C, H,
    W)``: ``FC(GAP(SiLU(BN(W x))))`` with a 1x1 projection to
    ``projection`` channels -> ``(N, num_classes)`` scores; an mmpretrain
    ``ClsHead`` (its losses and predictions).

    Official classifier checkpoints hold it as ``head.0`` (conv),
    ``head.1`` (BN) and ``head.4`` (1x1 conv); :meth:`official_keys` maps
    them.
    """

    def __init__(self, in_channels: int, num_classes: int = 1000,
                 projection: int = 1024, **kwargs) -> None:
        # Scoped, so that the head also builds outside an mmpretrain scope.
        kwargs.setdefault(
            'loss', dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0))
        super().__init__(**kwargs)
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.proj = nn.Sequential(*conv_bn(in_channels, projection),
                                  nn.SiLU())
        self.fc = nn.Linear(projection, num_classes)

    def pre_logits(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """``GAP(SiLU(BN(W x)))`` of the last map, ``(N, projection)``."""
        return self.proj(feats[-1]).mean((2, 3))

    def forward(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        return self.fc(self.pre_logits(feats))

    @staticmethod
    def official_keys(state_dict: dict) -> dict:
        """This head's tensors from an official classifier state dict."""
        names = {'head.0.': 'proj.0.', 'head.1.': 'proj.1.',
                 'head.4.': 'fc.'}
        out = {}
        for key, value in state_dict.items():
            for old, new in names.items():
                if key.startswith(old):
                    out[new + key[len(old):]] = (value.flatten(1)
                                                 if new == 'fc.'
                                                 and value.dim() == 4
                                                 else value)
        return out

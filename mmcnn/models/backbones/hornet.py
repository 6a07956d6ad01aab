"""HorNet: high-order spatial interactions with recursive gated convs.

Rao et al., "HorNet: Efficient High-Order Spatial Interactions with
Recursive Gated Convolutions", NeurIPS 2022 (arXiv:2207.14284). Module names
follow the official implementation (raoyongming/HorNet), so its checkpoints
load directly; mmpretrain's converted ones through
:meth:`HorNet.checkpoint_filter`.
"""
from typing import Optional, Tuple, Union, Unpack

import torch
import torch.nn.functional as F
from torch import nn

from mmcnn.registry import MODELS
from ..layers import (DepthwiseConv2d, LayerNorm2d, PointwiseLinear,
                      build_drop_path, drop_path_rates, residual_add)
from ..layers.fuse import fold_output_affine
from ..layers.init import init_trunc_normal
from .base import BackboneArgs, ConvNetBackbone, no_weight_decay
from .checkpoint_keys import KeyTable


def _resize_filter(weight: torch.Tensor, size: Tuple[int, int]
                   ) -> torch.Tensor:
    """Bilinearly resize a ``(C, h, w, 2)`` spectral filter to ``size``."""
    weight = F.interpolate(weight.permute(3, 0, 1, 2), size=size,
                           mode='bilinear', align_corners=True)
    return weight.permute(1, 2, 3, 0)


class GlobalLocalFilter(nn.Module):
    """Global-local filter, ``(N, C, H, W) -> (N, C, H, W)``.

    After a LayerNorm, half of the channels go through a DW3x3 (local), the
    other half through a learnable global filter in the 2-D Fourier domain:
    ``irfft2(rfft2(x) * W)`` with ``W`` of ``filter_size``, bilinearly
    resized to the input's spectrum when sizes differ. The two halves are
    interleaved channel by channel and normalised again. An empty batch
    skips the FFT (oneMKL cannot plan an empty transform).
    """

    def __init__(self, embed_dims: int,
                 filter_size: Tuple[int, int] = (14, 8)) -> None:
        super().__init__()
        half = embed_dims // 2
        self.dw = DepthwiseConv2d(half, 3, bias=False)
        self.complex_weight = nn.Parameter(
            torch.empty(half, *filter_size, 2))
        nn.init.trunc_normal_(self.complex_weight, std=.02)
        self.pre_norm = LayerNorm2d(embed_dims, eps=1e-6)
        self.post_norm = LayerNorm2d(embed_dims, eps=1e-6)

    def global_filter(self, x: torch.Tensor) -> torch.Tensor:
        """``irfft2(rfft2(x) * W)`` in float32, ``x``'s shape and dtype."""
        height, width = x.shape[2:]
        spectrum = torch.fft.rfft2(x.float(), dim=(2, 3), norm='ortho')
        weight = self.complex_weight
        if weight.shape[1:3] != spectrum.shape[2:4]:
            weight = _resize_filter(weight, tuple(spectrum.shape[2:4]))
        spectrum = spectrum * torch.view_as_complex(weight.contiguous())
        return torch.fft.irfft2(spectrum, s=(height, width), dim=(2, 3),
                                norm='ortho').to(x.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pre_norm(x)
        x_local, x_global = torch.chunk(x, 2, dim=1)
        x_local = self.dw(x_local)
        batch, channels, height, width = x_global.shape
        if batch:
            x_global = self.global_filter(x_global)
        x = torch.stack([x_local, x_global], dim=2)
        return self.post_norm(x.reshape(batch, 2 * channels, height, width))


class GnConv(nn.Module):
    """Recursive gated convolution g^n Conv, ``(N, C, H, W) -> (N, C, H,
    W)`` (paper Eq. 3-4).

    ``proj_in`` maps C to 2C channels, split into ``p_0`` (``C / 2^(n-1)``
    channels) and ``q`` (the rest), whose depth-wise mixing (DW7x7 or a
    :class:`GlobalLocalFilter`, times ``scale``) is split into
    ``q_0..q_{n-1}`` of widths ``C / 2^(n-1), ..., C / 2, C``. Then
    ``p_1 = p_0 * q_0`` and ``p_{k+1} = pws_k(p_k) * q_k``, doubling the
    width each order; ``proj_out`` mixes ``p_n``.
    """

    def __init__(self,
                 embed_dims: int,
                 order: int,
                 global_filter_size: Optional[Tuple[int, int]] = None,
                 scale: float = 1 / 3) -> None:
        super().__init__()
        if embed_dims % 2**(order - 1):
            raise ValueError(
                f'gnConv of order {order} needs a width divisible by '
                f'{2**(order - 1)}, got {embed_dims}.')
        self.order = order
        self.scale = scale
        self.dims = [embed_dims // 2**i for i in range(order)][::-1]
        self.proj_in = nn.Conv2d(embed_dims, 2 * embed_dims, 1)
        branch = sum(self.dims)
        if global_filter_size is None:
            self.dwconv = DepthwiseConv2d(branch, 7)
        else:
            self.dwconv = GlobalLocalFilter(branch, global_filter_size)
        self.proj_out = nn.Conv2d(embed_dims, embed_dims, 1)
        self.pws = nn.ModuleList(
            nn.Conv2d(self.dims[i], self.dims[i + 1], 1)
            for i in range(order - 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.proj_in(x)
        x, branch = torch.split(x, (self.dims[0], sum(self.dims)), dim=1)
        gates = torch.split(self.dwconv(branch) * self.scale, self.dims,
                            dim=1)
        x = x * gates[0]
        for pw, gate in zip(self.pws, gates[1:]):
            x = pw(x) * gate
        return self.proj_out(x)


class HorNetBlock(nn.Module):
    """One HorNet block, ``(N, C, H, W) -> (N, C, H, W)``.

    ``x = x + DropPath(g_1 * gnConv(LN(x)))``;
    ``x = x + DropPath(g_2 * fc2(GELU(fc1(LN(x)))))`` with the MLP
    channels-last and layer scales ``g``.
    """

    def __init__(self,
                 embed_dims: int,
                 order: int,
                 global_filter_size: Optional[Tuple[int, int]] = None,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-6) -> None:
        super().__init__()
        self.norm1 = LayerNorm2d(embed_dims, eps=1e-6)
        self.gnconv = GnConv(embed_dims, order, global_filter_size)
        self.norm2 = nn.LayerNorm(embed_dims, eps=1e-6)
        self.pwconv1 = PointwiseLinear(embed_dims, 4 * embed_dims)
        self.act = nn.GELU()
        self.pwconv2 = PointwiseLinear(4 * embed_dims, embed_dims)
        if layer_scale_init_value > 0:
            self.gamma1 = nn.Parameter(
                torch.full((embed_dims, ), float(layer_scale_init_value)))
            self.gamma2 = nn.Parameter(
                torch.full((embed_dims, ), float(layer_scale_init_value)))
        else:
            self.gamma1 = self.gamma2 = None
        self.drop_path = build_drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.gnconv(self.norm1(x))
        if self.gamma1 is not None:
            y = self.gamma1.view(-1, 1, 1) * y
        x = residual_add(x, self.drop_path(y))
        y = self.pwconv2(self.act(self.pwconv1(
            self.norm2(x.permute(0, 2, 3, 1)))))
        if self.gamma2 is not None:
            y = self.gamma2 * y
        return residual_add(x, self.drop_path(y.permute(0, 3, 1, 2)))

    def switch_to_deploy(self) -> None:
        """Fold the layer scales into ``gnconv.proj_out`` and ``pwconv2``;
        the block then equals one built with ``layer_scale_init_value=0``.
        Drop path is dropped."""
        if self.gamma1 is not None:
            self.gnconv.proj_out = fold_output_affine(self.gnconv.proj_out,
                                                      self.gamma1)
            self.pwconv2 = fold_output_affine(self.pwconv2, self.gamma2)
            self.gamma1 = self.gamma2 = None
        self.drop_path = nn.Identity()


def _arch(width: int, global_filter: bool) -> dict:
    return dict(embed_dims=[width * 2**i for i in range(4)],
                depths=[2, 3, 18, 2], orders=[2, 3, 4, 5],
                global_filter=[False, False, global_filter, global_filter])


@MODELS.register_module()
class HorNet(ConvNetBackbone):
    """HorNet backbone.

    ``downsample_layers[0]`` is a 4x4 stride-4 conv + LN, the others LN +
    2x2 stride-2 conv; ``stages[i]`` are :class:`HorNetBlock` with gnConv of
    order ``orders[i]`` (DW7x7, or a global filter in the GF variants'
    last two stages); ``norm{i}`` is the output LayerNorm of the official
    dense-prediction backbone, built for the stages in ``out_indices``.
    Outputs have strides 4, 8, 16, 32.

    Args (the common ones as in :class:`ConvNetBackbone`):
        arch: ``'tiny'``, ``'small'``, ``'base'``, ``'large'`` (7x7) or the
            same with ``'-gf'`` (global filter), or a dict with
            ``embed_dims``, ``depths``, ``orders`` and ``global_filter``
            (one entry per stage).
        layer_scale_init_value: initial value of the layer scales (0: none,
            the form that loads a :meth:`switch_to_deploy` checkpoint).
        pretrain_img_size: image size the global filters are stored for
            (224, or 384 for the ``*_gf_img384`` checkpoints); a stage of
            stride ``s`` keeps an ``(S / s) x (S / 2s + 1)`` filter, resized
            on the fly for other inputs.
        gap_before_final_norm: build the classification form
            (:attr:`ConvNetBackbone.gap_before_final_norm`).
        init_cfg: initialisation, e.g. ``dict(type='Pretrained',
            checkpoint='hornet_tiny_7x7.pth')``.
    """

    arch_zoo = {
        **dict.fromkeys(['t', 'tiny', 'tiny-7x7'], _arch(64, False)),
        **dict.fromkeys(['t-gf', 'tiny-gf'], _arch(64, True)),
        **dict.fromkeys(['s', 'small', 'small-7x7'], _arch(96, False)),
        **dict.fromkeys(['s-gf', 'small-gf'], _arch(96, True)),
        **dict.fromkeys(['b', 'base', 'base-7x7'], _arch(128, False)),
        **dict.fromkeys(['b-gf', 'base-gf'], _arch(128, True)),
        **dict.fromkeys(['l', 'large', 'large-7x7'], _arch(192, False)),
        **dict.fromkeys(['l-gf', 'large-gf'], _arch(192, True)),
    }
    arch_keys = ('embed_dims', 'depths', 'orders', 'global_filter')
    paramwise_cfg = no_weight_decay('gamma')
    # Official init: conv and linear weights ~ TN(0, 0.02), zero biases (the
    # spectral filters are drawn at construction).
    scratch_init = staticmethod(init_trunc_normal)
    classifier_norm_prefixes = ('norm.', )
    classifier_form_arg = 'gap_before_final_norm'
    # Official keys are mmcnn's; mmpretrain names the order projections
    # ``projs`` and stores layer scales as ``gamma{1,2}.weight``.
    checkpoint_tables = (KeyTable((
        (r'\.gnconv\.projs\.', '.gnconv.pws.'),
        (r'\.(gamma[12])\.weight$', r'.\1'))), )
    lr_decay_types = ('layer_wise', 'stage_wise')

    def __init__(self,
                 arch: Union[str, dict] = 'tiny',
                 *,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-6,
                 pretrain_img_size: int = 224,
                 gap_before_final_norm: bool = False,
                 deploy: bool = False,
                 **common: Unpack[BackboneArgs]) -> None:
        super().__init__(arch, **common)
        self.embed_dims = list(self.arch_settings['embed_dims'])
        self.depths = list(self.arch_settings['depths'])
        self.orders = list(self.arch_settings['orders'])
        self.global_filter = list(self.arch_settings['global_filter'])
        self.gap_before_final_norm = gap_before_final_norm
        dpr = drop_path_rates(drop_path_rate, sum(self.depths))
        self.downsample_layers = nn.ModuleList()
        self.stages = nn.ModuleList()
        for i, (width, depth) in enumerate(zip(self.embed_dims,
                                               self.depths)):
            if i == 0:
                down = nn.Sequential(
                    nn.Conv2d(self.in_channels, width, 4, stride=4),
                    LayerNorm2d(width, eps=1e-6))
            else:
                down = nn.Sequential(
                    LayerNorm2d(self.embed_dims[i - 1], eps=1e-6),
                    nn.Conv2d(self.embed_dims[i - 1], width, 2, stride=2))
            filter_size = None
            if self.global_filter[i]:
                side = pretrain_img_size // 2**(i + 2)
                filter_size = (side, side // 2 + 1)
            first = sum(self.depths[:i])
            self.downsample_layers.append(down)
            self.stages.append(nn.Sequential(*(
                HorNetBlock(width, self.orders[i], filter_size,
                            dpr[first + j], layer_scale_init_value)
                for j in range(depth))))
            if i in self.out_indices:
                self.add_module(f'norm{i}', LayerNorm2d(width, eps=1e-6))
        self.finish_init(deploy)

    def layer_id(self, name: str, num_layers: int,
                 decay_type: str = 'layer_wise') -> int:
        """HorNet's official lr decay rules (detection: layer-wise,
        segmentation: stage-wise): ConvNeXt's
        (:meth:`~ConvNetBackbone.convnext_layout_id`), but layer-wise,
        stage 3 advances one layer every two blocks: block ``j`` of
        ``stages.2`` -> ``min(3 + j // 2, num_layers - 1)``."""
        return self.convnext_layout_id(
            name, num_layers, decay_type,
            lambda j: min(3 + j // 2, num_layers - 1))

    @classmethod
    def adapt_tensor(cls, key: str, value: torch.Tensor,
                     shape: torch.Size) -> torch.Tensor:
        """Global filters stored for another image size, resized
        bilinearly to the model's."""
        if key.endswith('.complex_weight') and shape[0] == value.shape[0]:
            return _resize_filter(value, tuple(shape[1:3]))
        return value

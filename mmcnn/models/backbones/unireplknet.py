"""UniRepLKNet: a universal large-kernel ConvNet.

Ding et al., "UniRepLKNet: A Universal Perception Large-Kernel ConvNet for
Audio, Video, Point Cloud, Time-Series and Image Recognition", CVPR 2024
(arXiv:2311.15599). Module names follow the official implementation
(AILab-CVC/UniRepLKNet, ``unireplknet.py``), so its ImageNet, COCO and
ADE20K checkpoints (training or re-parameterised form) load directly.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union, Unpack

import torch
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from torch import nn

from mmcnn.registry import MODELS
from ..layers import (GRN, BlockSequence, DepthwiseConv2d, LayerNorm2d,
                      PointwiseLinear, Reparameterizable, activate_,
                      build_drop_path, drop_path_rates, residual_add)
from ..layers.init import init_trunc_normal
from ..layers.fuse import fold_input_affine, fold_output_affine, fold_output_bn
from ..layers.reparam import conv_from_kernel, merge_kernel
from .base import BackboneArgs, ConvNetBackbone, no_weight_decay
from .checkpoint_keys import Flatten

#: Kernel sizes and dilations of the parallel branches of a dilated
#: re-param block, by the size of its large kernel (official defaults).
DILATED_BRANCHES: Dict[int, Tuple[Tuple[int, ...], Tuple[int, ...]]] = {
    17: ((5, 9, 3, 3, 3), (1, 2, 4, 5, 7)),
    15: ((5, 7, 3, 3, 3), (1, 2, 3, 5, 7)),
    13: ((5, 7, 3, 3, 3), (1, 2, 3, 4, 5)),
    11: ((5, 5, 3, 3, 3), (1, 2, 3, 4, 5)),
    9: ((5, 5, 3, 3), (1, 2, 3, 4)),
    7: ((5, 3, 3), (1, 2, 3)),
}


def _dw_conv(channels: int, kernel_size: int, dilation: int = 1,
             bias: bool = False) -> DepthwiseConv2d:
    return DepthwiseConv2d(channels, kernel_size, dilation=dilation,
                           bias=bias)


class DilatedReparamBlock(Reparameterizable):
    """Dilated re-param block, ``(N, C, H, W) -> (N, C, H, W)``.

    ``y = BN_0(DW_K(x)) + sum_i BN_i(DW_{k_i, dilation r_i}(x))`` with the
    branches of :data:`DILATED_BRANCHES` (K = 13: 5x5 r1, 7x7 r2, 3x3 r3,
    3x3 r4, 3x3 r5). A ``k x k`` kernel with dilation ``r`` equals a
    ``r (k - 1) + 1`` kernel with zeros between its taps, so in deploy form
    all branches are one biased ``K x K`` conv, ``lk_origin``.
    """

    def __init__(self,
                 channels: int,
                 kernel_size: int,
                 deploy: bool = False,
                 norm_cfg: Optional[dict] = None) -> None:
        super().__init__()
        if kernel_size not in DILATED_BRANCHES:
            raise ValueError(
                f'No dilated re-param setting for kernel size {kernel_size};'
                f' choose one of {sorted(DILATED_BRANCHES)}.')
        self.kernel_sizes, self.dilates = DILATED_BRANCHES[kernel_size]
        self.lk_origin = _dw_conv(channels, kernel_size, bias=deploy)
        self.deploy = deploy
        if deploy:
            return
        norm_cfg = norm_cfg or dict(type='BN')
        self.origin_bn = build_norm_layer(norm_cfg, channels)[1]
        for k, r in self.branches:
            setattr(self, f'dil_conv_k{k}_{r}', _dw_conv(channels, k, r))
            setattr(self, f'dil_bn_k{k}_{r}',
                    build_norm_layer(norm_cfg, channels)[1])

    @property
    def branches(self) -> List[Tuple[int, int]]:
        return list(zip(self.kernel_sizes, self.dilates))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.deploy:
            return self.lk_origin(x)
        out = self.origin_bn(self.lk_origin(x))
        for k, r in self.branches:
            conv = getattr(self, f'dil_conv_k{k}_{r}')
            out = out + getattr(self, f'dil_bn_k{k}_{r}')(conv(x))
        return out

    @torch.no_grad()
    def reparameterize(self) -> None:
        """Merge all branches into a biased ``lk_origin``."""
        merged = fold_output_bn(self.lk_origin, self.origin_bn)
        kernel, bias = merged.weight, merged.bias
        for k, r in self.branches:
            branch = fold_output_bn(getattr(self, f'dil_conv_k{k}_{r}'),
                                    getattr(self, f'dil_bn_k{k}_{r}'))
            kernel = merge_kernel(kernel, branch.weight, r)
            bias = bias + branch.bias
            delattr(self, f'dil_conv_k{k}_{r}')
            delattr(self, f'dil_bn_k{k}_{r}')
        self.lk_origin = conv_from_kernel(self.lk_origin, kernel, bias)
        del self.origin_bn


class SEBlock(nn.Module):
    """Squeeze-and-excitation, ``x * sigmoid(up(ReLU(down(GAP(x)))))``."""

    def __init__(self, channels: int, hidden_channels: int) -> None:
        super().__init__()
        self.down = nn.Conv2d(channels, hidden_channels, 1)
        self.nonlinear = nn.ReLU(inplace=True)
        self.up = nn.Conv2d(hidden_channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.up(self.nonlinear(self.down(F.adaptive_avg_pool2d(x, 1))))
        return x * torch.sigmoid(w)


class FoldedGRN(GRN):
    """:class:`GRN` whose ``beta`` is folded into the next linear layer
    (deploy form), ``y = gamma * (X * N) + X``; ``beta`` is a zero buffer
    outside the state dict."""

    def __init__(self, channels: int) -> None:
        super().__init__(channels)
        del self.beta
        self.register_buffer('beta', torch.zeros(channels), persistent=False)


class ToChannelsLast(nn.Module):
    """``(N, C, H, W) -> (N, H, W, C)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(0, 2, 3, 1)


class ToChannelsFirst(nn.Module):
    """``(N, H, W, C) -> (N, C, H, W)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(0, 3, 1, 2)


class UniRepLKNetBlock(Reparameterizable):
    """UniRepLKNet block, ``(N, C, H, W) -> (N, C, H, W)``.

    ``y = SE(BN(DW(x)))`` (DW: a dilated re-param block for kernels >= 7, a
    plain 3x3/5x5 depth-wise conv, or nothing for kernel 0), then the FFN
    ``BN(pwconv2(GRN(GELU(pwconv1(y)))))`` (linear layers over channels,
    4x expansion), scaled by ``gamma``: ``x + DropPath(gamma * ffn)``.
    GRN and ``pwconv2``'s linear layer run as one GEMM (:meth:`GRN.project`).

    In deploy form the BN after DW is folded into the conv, and the GRN
    bias, the BN after ``pwconv2`` and ``gamma`` are folded into
    ``pwconv2``.
    """

    def __init__(self,
                 channels: int,
                 kernel_size: int,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-6,
                 deploy: bool = False,
                 ffn_factor: int = 4,
                 norm_cfg: Optional[dict] = None) -> None:
        super().__init__()
        norm_cfg = norm_cfg or dict(type='BN')
        self.deploy = deploy
        if kernel_size == 0:
            self.dwconv = nn.Identity()
        elif kernel_size >= 7:
            self.dwconv = DilatedReparamBlock(channels, kernel_size, deploy,
                                              norm_cfg)
        elif kernel_size in (3, 5):
            self.dwconv = _dw_conv(channels, kernel_size, bias=deploy)
        else:
            raise ValueError(f'UniRepLKNet kernel sizes are 0, 3, 5 or >= '
                             f'7, got {kernel_size}.')
        self.norm = (build_norm_layer(norm_cfg, channels)[1]
                     if kernel_size and not deploy else nn.Identity())
        self.se = SEBlock(channels, channels // 4)
        hidden = int(ffn_factor * channels)
        self.pwconv1 = nn.Sequential(ToChannelsLast(),
                                     PointwiseLinear(channels, hidden))
        self.act = nn.Sequential(
            nn.GELU(), FoldedGRN(hidden) if deploy else GRN(hidden))
        if deploy:
            self.pwconv2 = nn.Sequential(nn.Linear(hidden, channels),
                                         ToChannelsFirst())
        else:
            self.pwconv2 = nn.Sequential(
                nn.Linear(hidden, channels, bias=False), ToChannelsFirst(),
                build_norm_layer(norm_cfg, channels)[1])
        self.gamma = (nn.Parameter(torch.full((channels, ),
                                              layer_scale_init_value))
                      if not deploy and layer_scale_init_value > 0 else None)
        self.drop_path = build_drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.se(self.norm(self.dwconv(x)))
        gelu, grn = self.act
        y = grn.project(activate_(gelu, self.pwconv1(y)), self.pwconv2[0])
        for layer in self.pwconv2[1:]:
            y = layer(y)
        if self.gamma is not None:
            y = self.gamma.view(1, -1, 1, 1) * y
        return residual_add(x, self.drop_path(y))

    @torch.no_grad()
    def reparameterize(self) -> None:
        """Fold the branches, BNs, GRN bias and ``gamma`` (eval-mode BN)."""
        if isinstance(self.dwconv, DilatedReparamBlock):
            self.dwconv.switch_to_deploy()
            self.dwconv.lk_origin = fold_output_bn(self.dwconv.lk_origin,
                                                   self.norm)
        elif not isinstance(self.norm, nn.Identity):
            self.dwconv = fold_output_bn(self.dwconv, self.norm)
        self.norm = nn.Identity()
        grn = self.act[1]
        fused = fold_input_affine(self.pwconv2[0],
                                  torch.ones_like(grn.beta), grn.beta)
        fused = fold_output_bn(fused, self.pwconv2[2])
        if self.gamma is not None:
            fused = fold_output_affine(fused, self.gamma)
        folded = FoldedGRN(grn.gamma.numel()).to(grn.gamma)
        folded.gamma.copy_(grn.gamma)
        self.act[1] = folded
        self.pwconv2 = nn.Sequential(fused, self.pwconv2[1])
        self.gamma = None


_KERNELS_A_F_P = ((3, 3), (13, 13), (13, ) * 6, (13, 13))
_KERNELS_N = ((3, 3), (13, 13), (13, ) * 8, (13, 13))
_KERNELS_T = ((3, 3, 3), (13, 13, 13), (13, 3) * 9, (13, 13, 13))
_KERNELS_S_B_L_XL = ((3, 3, 3), (13, 13, 13), (13, 3, 3) * 9, (13, 13, 13))


def _arch(depths: Sequence[int], dims: Sequence[int],
          kernels: Sequence[Sequence[int]]) -> dict:
    return dict(depths=list(depths), embed_dims=list(dims),
                kernel_sizes=[list(k) for k in kernels])


@MODELS.register_module()
class UniRepLKNet(ConvNetBackbone):
    """UniRepLKNet backbone.

    Stage ``i`` is ``downsample_layers[i]`` (stem: two stride-2 3x3 convs
    with LN and GELU between; later: a stride-2 3x3 conv + LN) and
    ``stages[i]``; its output (stride ``2 ** (i + 2)``) passes through
    ``norm{i}`` (LN), as in the official dense-prediction backbone.

    Args (the common ones as in :class:`ConvNetBackbone`):
        arch: ``'a'``, ``'f'``, ``'p'``, ``'n'``, ``'t'``, ``'s'``, ``'b'``,
            ``'l'``, ``'xl'`` or a dict with per-stage ``depths``, ``dims``
            and ``kernel_sizes`` (one list of block kernel sizes per stage).
        layer_scale_init_value: initial ``gamma`` (0 disables it).
        norm_cfg: batch norm of the blocks (e.g. ``dict(type='SyncBN')``
            as in the official dense-prediction models).
        gap_before_final_norm: build the classification form
            (:attr:`ConvNetBackbone.gap_before_final_norm`).
        init_cfg: e.g. ``dict(type='Pretrained',
            checkpoint='unireplknet_t_in1k_224_acc83.21.pth')``.
    """

    arch_zoo = {
        **dict.fromkeys(['a', 'atto'], _arch((2, 2, 6, 2),
                                             (40, 80, 160, 320),
                                             _KERNELS_A_F_P)),
        **dict.fromkeys(['f', 'femto'], _arch((2, 2, 6, 2),
                                              (48, 96, 192, 384),
                                              _KERNELS_A_F_P)),
        **dict.fromkeys(['p', 'pico'], _arch((2, 2, 6, 2),
                                             (64, 128, 256, 512),
                                             _KERNELS_A_F_P)),
        **dict.fromkeys(['n', 'nano'], _arch((2, 2, 8, 2),
                                             (80, 160, 320, 640),
                                             _KERNELS_N)),
        **dict.fromkeys(['t', 'tiny'], _arch((3, 3, 18, 3),
                                             (80, 160, 320, 640),
                                             _KERNELS_T)),
        **dict.fromkeys(['s', 'small'], _arch((3, 3, 27, 3),
                                              (96, 192, 384, 768),
                                              _KERNELS_S_B_L_XL)),
        **dict.fromkeys(['b', 'base'], _arch((3, 3, 27, 3),
                                             (128, 256, 512, 1024),
                                             _KERNELS_S_B_L_XL)),
        **dict.fromkeys(['l', 'large'], _arch((3, 3, 27, 3),
                                              (192, 384, 768, 1536),
                                              _KERNELS_S_B_L_XL)),
        **dict.fromkeys(['xl', 'x-large', 'xlarge'],
                        _arch((3, 3, 27, 3), (256, 512, 1024, 2048),
                              _KERNELS_S_B_L_XL)),
    }
    arch_keys = ('embed_dims', 'depths', 'kernel_sizes')
    paramwise_cfg = no_weight_decay('.gamma', '.beta')
    # Official init: conv and linear weights ~ TN(0, 0.02), zero bias.
    scratch_init = staticmethod(init_trunc_normal)
    classifier_norm_prefixes = ('norm.', )
    # Official checkpoints (training or re-parameterised form) share
    # mmcnn's keys; they store GRN parameters as (1, 1, 1, C).
    checkpoint_reshapes = (Flatten(r'\.act\.1\.(gamma|beta)$', 1), )
    # ConvNeXt's lr decay rules, which the official UniRepLKNet downstream
    # code uses.
    lr_decay_types = ('layer_wise', 'stage_wise')
    layer_id = ConvNetBackbone.convnext_layout_id
    classifier_form_arg = 'gap_before_final_norm'

    def __init__(self,
                 arch: Union[str, dict] = 'tiny',
                 *,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-6,
                 deploy: bool = False,
                 with_cp: bool = False,
                 norm_cfg: Optional[dict] = None,
                 gap_before_final_norm: bool = False,
                 **common: Unpack[BackboneArgs]) -> None:
        super().__init__(arch, **common)
        self.depths = list(self.arch_settings['depths'])
        self.embed_dims = list(self.arch_settings['embed_dims'])
        self.kernel_sizes = [list(k)
                             for k in self.arch_settings['kernel_sizes']]
        bad = [i for i, (k, d) in enumerate(zip(self.kernel_sizes,
                                                self.depths)) if len(k) != d]
        if bad:
            raise ValueError(
                f'UniRepLKNet kernel_sizes must list one kernel per block; '
                f'stages {bad} do not match depths {self.depths}.')
        self.gap_before_final_norm = gap_before_final_norm
        self.with_cp = with_cp
        dims = self.embed_dims

        self.downsample_layers = nn.ModuleList([nn.Sequential(
            nn.Conv2d(self.in_channels, dims[0] // 2, 3, stride=2, padding=1),
            LayerNorm2d(dims[0] // 2),
            nn.GELU(),
            nn.Conv2d(dims[0] // 2, dims[0], 3, stride=2, padding=1),
            LayerNorm2d(dims[0]))])
        for i in range(self.num_stages - 1):
            self.downsample_layers.append(nn.Sequential(
                nn.Conv2d(dims[i], dims[i + 1], 3, stride=2, padding=1),
                LayerNorm2d(dims[i + 1])))
        dpr = drop_path_rates(drop_path_rate, sum(self.depths))
        self.stages = nn.ModuleList()
        for i, (width, kernels) in enumerate(zip(dims, self.kernel_sizes)):
            start = sum(self.depths[:i])
            self.stages.append(BlockSequence((
                UniRepLKNetBlock(width, k, dpr[start + j],
                                 layer_scale_init_value, deploy,
                                 norm_cfg=norm_cfg)
                for j, k in enumerate(kernels)), with_cp))
        for i in self.out_indices:
            self.add_module(f'norm{i}', LayerNorm2d(dims[i]))
        self.finish_init(deploy)

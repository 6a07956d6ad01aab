"""InceptionNeXt: ConvNeXt with an Inception depthwise token mixer.

Yu et al., "InceptionNeXt: When Inception Meets ConvNeXt", CVPR 2024
(arXiv:2303.16900). Module names follow the official implementation
(sail-sg/inceptionnext, the same as timm's ``inception_next``), so its
ImageNet checkpoints load directly.
"""
from functools import partial
from typing import List, Optional, Sequence, Union, Unpack

import torch
from mmcv.cnn import build_norm_layer
from torch import nn

from mmcnn.registry import MODELS
from ..layers import (DepthwiseConv2d, Mlp, Reparameterizable,
                      build_drop_path, drop_path_rates, residual_add)
from ..layers.fuse import fold_input_bn, fold_output_affine
from ..layers.init import init_trunc_normal
from .base import BackboneArgs, ConvNetBackbone, no_weight_decay


class InceptionDWConv2d(nn.Module):
    """Inception depthwise token mixer, ``(N, C, H, W) -> (N, C, H, W)``.

    The channels are split into four groups: ``C - 3g`` pass unchanged and
    ``g = int(C * branch_ratio)`` each go through a DW ``k x k``, a DW
    ``1 x b`` and a DW ``b x 1`` conv (``k`` the square and ``b`` the band
    kernel size); the groups are concatenated back in that order.
    """

    def __init__(self,
                 channels: int,
                 square_kernel_size: int = 3,
                 band_kernel_size: int = 11,
                 branch_ratio: float = 0.125) -> None:
        super().__init__()
        branch = int(channels * branch_ratio)
        if branch < 1 or 3 * branch > channels:
            raise ValueError(
                f'InceptionNeXt branch_ratio={branch_ratio} gives {branch} '
                f'channels per conv branch for width {channels}; each of the '
                'three branches needs at least 1 channel and together at '
                'most the width.')
        square, band = square_kernel_size, band_kernel_size
        self.dwconv_hw = DepthwiseConv2d(branch, square, padding=square // 2)
        self.dwconv_w = DepthwiseConv2d(branch, (1, band),
                                        padding=(0, band // 2))
        self.dwconv_h = DepthwiseConv2d(branch, (band, 1),
                                        padding=(band // 2, 0))
        self.split_sizes = [channels - 3 * branch, branch, branch, branch]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_id, x_hw, x_w, x_h = torch.split(x, self.split_sizes, dim=1)
        return torch.cat([x_id, self.dwconv_hw(x_hw), self.dwconv_w(x_w),
                          self.dwconv_h(x_h)], dim=1)


class InceptionNeXtBlock(Reparameterizable):
    """One MetaNeXt block, ``(N, C, H, W) -> (N, C, H, W)``.

    ``x + DropPath(gamma * mlp(norm(token_mixer(x))))`` with the Inception
    depthwise token mixer, a batch norm and the MLP ``fc2(GELU(fc1(x)))``
    of 1x1 convs. In deploy form the batch norm is
    folded into the MLP's first 1x1 conv and the layer scale ``gamma`` into
    its last one (both exact: 1x1 convs do not pad).
    """

    def __init__(self,
                 channels: int,
                 mlp_ratio: float = 4.,
                 band_kernel_size: int = 11,
                 branch_ratio: float = 0.125,
                 norm_cfg: Optional[dict] = None,
                 layer_scale_init_value: float = 1e-6,
                 drop_path_rate: float = 0.,
                 deploy: bool = False) -> None:
        super().__init__()
        self.deploy = deploy
        self.token_mixer = InceptionDWConv2d(
            channels, band_kernel_size=band_kernel_size,
            branch_ratio=branch_ratio)
        self.norm = (nn.Identity() if deploy else build_norm_layer(
            norm_cfg or dict(type='BN'), channels)[1])
        self.mlp = Mlp(channels, int(mlp_ratio * channels))
        self.gamma = (nn.Parameter(torch.full((channels, ),
                                              float(layer_scale_init_value)))
                      if layer_scale_init_value > 0 and not deploy else None)
        self.drop_path = build_drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.mlp(self.norm(self.token_mixer(x)))
        if self.gamma is not None:
            x = x * self.gamma.view(1, -1, 1, 1)
        return residual_add(shortcut, self.drop_path(x))

    def reparameterize(self) -> None:
        """Fold the eval-mode batch norm and the layer scale into the MLP's
        1x1 convs."""
        self.mlp.fc1 = fold_input_bn(self.norm, self.mlp.fc1)
        self.norm = nn.Identity()
        if self.gamma is not None:
            self.mlp.fc2 = fold_output_affine(self.mlp.fc2, self.gamma)
            self.gamma = None


class InceptionNeXtStage(nn.Module):
    """Optional ``norm + 2x2 stride-2 conv`` downsampling, then blocks."""

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 drop_path_rates: Sequence[float],
                 downsample: bool = True,
                 mlp_ratio: float = 4.,
                 band_kernel_size: int = 11,
                 branch_ratio: float = 0.125,
                 norm_cfg: Optional[dict] = None,
                 layer_scale_init_value: float = 1e-6,
                 deploy: bool = False) -> None:
        super().__init__()
        norm_cfg = norm_cfg or dict(type='BN')
        if downsample:
            self.downsample = nn.Sequential(
                build_norm_layer(norm_cfg, in_channels)[1],
                nn.Conv2d(in_channels, out_channels, 2, stride=2))
        else:
            self.downsample = nn.Identity()
        self.blocks = nn.Sequential(*(
            InceptionNeXtBlock(out_channels, mlp_ratio, band_kernel_size,
                               branch_ratio, norm_cfg,
                               layer_scale_init_value, rate, deploy)
            for rate in drop_path_rates))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


def _arch(widths: List[int], depths: List[int], **mixer) -> dict:
    return dict(embed_dims=widths, depths=depths, mlp_ratios=[4, 4, 4, 3],
                **mixer)


@MODELS.register_module()
class InceptionNeXt(ConvNetBackbone):
    """InceptionNeXt backbone.

    A 4x4 stride-4 conv + norm ``stem``, then ``stages.{i}`` of
    :class:`InceptionNeXtStage` (stage 0 without downsampling); stage ``i``
    has stride ``2 ** (i + 2)`` and returns its last block's output, as in
    the official code (the dense-prediction recipe only removes the
    classifier head).

    Args (the common ones as in :class:`ConvNetBackbone`):
        arch: a name from ``arch_zoo`` or a dict with ``embed_dims``,
            ``depths`` and ``mlp_ratios`` (one entry per stage) and
            optionally ``band_kernel_size`` (default 11) and
            ``branch_ratio`` (default 1/8).
        layer_scale_init_value: initial layer-scale value; 0 disables it.
        norm_cfg: norm of the stem, downsampling layers and blocks.
        init_cfg: initialisation, e.g. ``dict(type='Pretrained',
            checkpoint='inceptionnext_tiny.pth')``.
    """

    arch_zoo = {
        **dict.fromkeys(['a', 'atto'], _arch(
            [40, 80, 160, 320], [2, 2, 6, 2], band_kernel_size=9,
            branch_ratio=0.25)),
        **dict.fromkeys(['t', 'tiny'],
                        _arch([96, 192, 384, 768], [3, 3, 9, 3])),
        **dict.fromkeys(['s', 'small'],
                        _arch([96, 192, 384, 768], [3, 3, 27, 3])),
        **dict.fromkeys(['b', 'base'],
                        _arch([128, 256, 512, 1024], [3, 3, 27, 3])),
    }
    arch_keys = ('embed_dims', 'depths', 'mlp_ratios')
    paramwise_cfg = no_weight_decay('.gamma')
    # Official init: conv weights ~ TN(0, 0.02), bias 0.
    scratch_init = staticmethod(partial(init_trunc_normal,
                                        types=(nn.Conv2d, )))
    stem_name = 'stem'
    stage_names = ('stages.{i}', )
    output_norm_name = None
    # The official MLP head: hidden width 3x the channels.
    classifier_head = dict(mlp_ratio=3)

    def __init__(self,
                 arch: Union[str, dict] = 'tiny',
                 *,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-6,
                 norm_cfg: Optional[dict] = None,
                 deploy: bool = False,
                 **common: Unpack[BackboneArgs]) -> None:
        super().__init__(arch, **common)
        norm_cfg = norm_cfg or dict(type='BN')
        self.embed_dims = list(self.arch_settings['embed_dims'])
        self.depths = list(self.arch_settings['depths'])
        self.mlp_ratios = list(self.arch_settings['mlp_ratios'])
        self.stem = nn.Sequential(
            nn.Conv2d(self.in_channels, self.embed_dims[0], 4, stride=4),
            build_norm_layer(norm_cfg, self.embed_dims[0])[1])
        dpr = drop_path_rates(drop_path_rate, sum(self.depths))
        self.stages = nn.ModuleList()
        prev = self.embed_dims[0]
        for i, (width, depth) in enumerate(zip(self.embed_dims,
                                               self.depths)):
            first = sum(self.depths[:i])
            self.stages.append(InceptionNeXtStage(
                prev, width, dpr[first:first + depth],
                downsample=i > 0,
                norm_cfg=norm_cfg,
                mlp_ratio=self.mlp_ratios[i],
                band_kernel_size=self.arch_settings.get(
                    'band_kernel_size', 11),
                branch_ratio=self.arch_settings.get('branch_ratio', 0.125),
                layer_scale_init_value=layer_scale_init_value,
                deploy=deploy))
            prev = width
        self.finish_init(deploy)

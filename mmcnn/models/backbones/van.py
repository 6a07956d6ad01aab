"""VAN: Visual Attention Network.

Guo et al., "Visual Attention Network", Computational Visual Media 2023
(arXiv:2202.09741). Module names follow the official implementation
(Visual-Attention-Network/VAN-Classification); its checkpoints, and the
converted ones of mmpretrain, load through :meth:`VAN.checkpoint_filter`.
"""
from typing import List, Union, Unpack

import torch
from torch import nn

from mmcnn.registry import MODELS
from ..layers import (BlockSequence, DepthwiseConv2d, LayerNorm2d,
                      LayerScaleBlock, Mlp, Reparameterizable,
                      drop_path_rates, residual_add)
from ..layers.fuse import fold_output_bn
from ..layers.init import init_fan_out
from .base import BackboneArgs, ConvNetBackbone, no_weight_decay
from .checkpoint_keys import KeyTable


class LKA(nn.Module):
    """Large kernel attention, ``(N, C, H, W) -> (N, C, H, W)``.

    A 21x21 depth-wise receptive field decomposed as a DW5x5, then a DW7x7
    with dilation 3, then a 1x1 conv; its output multiplies the input:
    ``x * conv1(conv_spatial(conv0(x)))`` (paper Eq. 1-2).
    """

    def __init__(self, embed_dims: int) -> None:
        super().__init__()
        self.conv0 = DepthwiseConv2d(embed_dims, 5)
        self.conv_spatial = DepthwiseConv2d(embed_dims, 7, dilation=3)
        self.conv1 = nn.Conv2d(embed_dims, embed_dims, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.conv1(self.conv_spatial(self.conv0(x)))


class SpatialAttention(nn.Module):
    """Attention branch, ``(N, C, H, W) -> (N, C, H, W)``.

    ``proj_2(LKA(GELU(proj_1(x)))) + x`` with 1x1 projections.
    """

    def __init__(self, embed_dims: int) -> None:
        super().__init__()
        self.proj_1 = nn.Conv2d(embed_dims, embed_dims, 1)
        self.activation = nn.GELU()
        self.spatial_gating_unit = LKA(embed_dims)
        self.proj_2 = nn.Conv2d(embed_dims, embed_dims, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.spatial_gating_unit(self.activation(self.proj_1(x)))
        return residual_add(shortcut, self.proj_2(x))


class VANBlock(LayerScaleBlock):
    """One VAN block, ``(N, C, H, W) -> (N, C, H, W)``:
    :class:`LayerScaleBlock` with batch norms, the LKA attention as
    ``attn`` and the MixFFN ``fc2(drop(GELU(DW3x3(fc1(x)))))`` as
    ``mlp``."""

    def __init__(self,
                 embed_dims: int,
                 mlp_ratio: float = 4.,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-2) -> None:
        super().__init__(
            embed_dims, nn.BatchNorm2d(embed_dims),
            SpatialAttention(embed_dims), nn.BatchNorm2d(embed_dims),
            Mlp(embed_dims, int(embed_dims * mlp_ratio), dw_kernel_size=3,
                drop_rate=drop_rate),
            drop_path_rate, layer_scale_init_value, (embed_dims, ))


class OverlapPatchEmbed(Reparameterizable):
    """Overlapping patch embedding: ``k x k`` conv (stride ``k // 2 + 1``,
    padding ``k // 2``) + BN; 7x7/4 for the stem, 3x3/2 between stages."""

    def __init__(self, in_channels: int, embed_dims: int,
                 patch_size: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_channels, embed_dims, patch_size,
                              stride=patch_size // 2 + 1,
                              padding=patch_size // 2)
        self.norm = nn.BatchNorm2d(embed_dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.proj(x))

    def reparameterize(self) -> None:
        """Fold the batch norm into the conv."""
        self.proj = fold_output_bn(self.proj, self.norm)
        self.norm = nn.Identity()


def _arch(widths: List[int], depths: List[int]) -> dict:
    return dict(embed_dims=widths, depths=depths, mlp_ratios=[8, 8, 4, 4])


@MODELS.register_module()
class VAN(ConvNetBackbone):
    """Visual Attention Network backbone.

    Stage ``i`` is ``patch_embed{i}`` (stride 4 for the stem, 2 after),
    ``block{i}`` and the per-pixel LayerNorm ``norm{i}``; the normalised
    map feeds the next stage and is the stage output (stride
    ``2 ** (i + 2)``), as in the official classification and dense
    prediction models.

    Args (the common ones as in :class:`ConvNetBackbone`):
        arch: ``'b0'``..``'b6'`` (B0-B3 also as ``'tiny'``, ``'small'``,
            ``'base'``, ``'large'``) or a dict with ``embed_dims``,
            ``depths`` and ``mlp_ratios`` (one entry per stage).
        layer_scale_init_value: initial value of the layer scales.
        init_cfg: initialisation, e.g. ``dict(type='Pretrained',
            checkpoint='van_b0.pth.tar')``.
    """

    arch_zoo = {
        **dict.fromkeys(['b0', 't', 'tiny'],
                        _arch([32, 64, 160, 256], [3, 3, 5, 2])),
        **dict.fromkeys(['b1', 's', 'small'],
                        _arch([64, 128, 320, 512], [2, 2, 4, 2])),
        **dict.fromkeys(['b2', 'b', 'base'],
                        _arch([64, 128, 320, 512], [3, 3, 12, 3])),
        **dict.fromkeys(['b3', 'l', 'large'],
                        _arch([64, 128, 320, 512], [3, 5, 27, 3])),
        'b4': _arch([64, 128, 320, 512], [3, 6, 40, 3]),
        'b5': _arch([96, 192, 480, 768], [3, 3, 24, 3]),
        'b6': _arch([96, 192, 384, 768], [6, 6, 90, 6]),
    }
    arch_keys = ('embed_dims', 'depths', 'mlp_ratios')
    paramwise_cfg = no_weight_decay('layer_scale')
    # Official init: conv ~ N(0, 2 / fan_out), norms to identity.
    scratch_init = staticmethod(init_fan_out)
    stage_names = ('patch_embed{n}', 'block{n}', 'norm{n}')
    output_norm_name = None
    # Official checkpoints differ only by the nested ``mlp.dwconv.dwconv``;
    # mmpretrain's use ``blocks{i}``, ``patch_embed{i}.projection`` and
    # ``spatial_gating_unit.DW_conv`` / ``DW_D_conv``.
    checkpoint_tables = (KeyTable((
        (r'^blocks(\d)\.', r'block\1.'),
        (r'^(patch_embed\d)\.projection\.', r'\1.proj.'),
        (r'\.spatial_gating_unit\.DW_conv\.',
         '.spatial_gating_unit.conv0.'),
        (r'\.spatial_gating_unit\.DW_D_conv\.',
         '.spatial_gating_unit.conv_spatial.'),
        (r'\.mlp\.dwconv\.dwconv\.', '.mlp.dwconv.'))), )

    def __init__(self,
                 arch: Union[str, dict] = 'b0',
                 *,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-2,
                 deploy: bool = False,
                 **common: Unpack[BackboneArgs]) -> None:
        super().__init__(arch, **common)
        self.embed_dims = list(self.arch_settings['embed_dims'])
        self.depths = list(self.arch_settings['depths'])
        self.mlp_ratios = list(self.arch_settings['mlp_ratios'])
        dpr = drop_path_rates(drop_path_rate, sum(self.depths))
        block_index = 0
        channels = self.in_channels
        for i, (width, depth) in enumerate(zip(self.embed_dims,
                                               self.depths)):
            embed = OverlapPatchEmbed(channels, width, 7 if i == 0 else 3)
            blocks = BlockSequence(
                VANBlock(width, self.mlp_ratios[i], drop_rate,
                         dpr[block_index + j], layer_scale_init_value)
                for j in range(depth))
            block_index += depth
            channels = width
            self.add_module(f'patch_embed{i + 1}', embed)
            self.add_module(f'block{i + 1}', blocks)
            self.add_module(f'norm{i + 1}', LayerNorm2d(width, eps=1e-6))
        self.finish_init(deploy)

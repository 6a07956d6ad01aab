"""VAN: Visual Attention Network.

Guo et al., "Visual Attention Network", Computational Visual Media 2023
(arXiv:2202.09741). Module names follow the official implementation
(Visual-Attention-Network/VAN-Classification); its checkpoints, and the
converted ones of mmpretrain, load through :meth:`VAN.checkpoint_filter`.
"""
import math
import re
from typing import List, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from mmcnn.registry import MODELS
from mmcnn.utils.checkpoint import StateDict
from ..layers import (DepthwiseConv2d, DropPath, LayerNorm2d, activate_,
                      drop_path_rates, residual_add)
from ..layers.fuse import fold_output_bn, fold_prenorm_branch
from .base import ConvNetBackbone


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
        return self.proj_2(x) + shortcut


class MixFFN(nn.Module):
    """Convolutional FFN, ``(N, C, H, W) -> (N, C, H, W)``.

    ``fc2(drop(GELU(DW3x3(fc1(x)))))`` with 1x1 ``fc`` convs.
    """

    def __init__(self,
                 embed_dims: int,
                 hidden_dims: int,
                 drop_rate: float = 0.) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(embed_dims, hidden_dims, 1)
        self.dwconv = DepthwiseConv2d(hidden_dims, 3)
        self.act = nn.GELU()
        self.fc2 = nn.Conv2d(hidden_dims, embed_dims, 1)
        self.drop = nn.Dropout(drop_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.drop(activate_(self.act, self.dwconv(self.fc1(x))))
        return self.drop(self.fc2(x))


class VANBlock(nn.Module):
    """One VAN block, ``(N, C, H, W) -> (N, C, H, W)``.

    ``x = x + DropPath(ls_1 * attn(BN(x)))``;
    ``x = x + DropPath(ls_2 * mlp(BN(x)))``.
    """

    def __init__(self,
                 embed_dims: int,
                 mlp_ratio: float = 4.,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-2) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(embed_dims)
        self.attn = SpatialAttention(embed_dims)
        self.drop_path = (DropPath(drop_path_rate)
                          if drop_path_rate > 0. else nn.Identity())
        self.norm2 = nn.BatchNorm2d(embed_dims)
        self.mlp = MixFFN(embed_dims, int(embed_dims * mlp_ratio), drop_rate)
        self.layer_scale_1 = nn.Parameter(
            torch.full((embed_dims, ), float(layer_scale_init_value)))
        self.layer_scale_2 = nn.Parameter(
            torch.full((embed_dims, ), float(layer_scale_init_value)))
        self.deploy = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.deploy:
            x = torch.addcmul(self.attn(x), self.shortcut_scale, x)
            return x + self.mlp(x)
        scale_1 = self.layer_scale_1.view(-1, 1, 1)
        scale_2 = self.layer_scale_2.view(-1, 1, 1)
        x = x + self.drop_path(scale_1 * self.attn(self.norm1(x)))
        return residual_add(
            x, self.drop_path(scale_2 * self.mlp(self.norm2(x))))

    def switch_to_deploy(self) -> None:
        """Fold ``norm1``/``layer_scale_1`` into the attention's 1x1
        projections and ``norm2``/``layer_scale_2`` into the FFN's
        (:func:`fold_prenorm_branch`); drop path is dropped."""
        if self.deploy:
            return
        attn, mlp = self.attn, self.mlp
        attn.proj_1, attn.proj_2, shortcut_scale = fold_prenorm_branch(
            self.norm1, attn.proj_1, attn.proj_2,
            self.layer_scale_1.reshape(1, -1, 1, 1), inner_shortcut=True)
        self.shortcut_scale = nn.Parameter(shortcut_scale)
        mlp.fc1, mlp.fc2, _ = fold_prenorm_branch(
            self.norm2, mlp.fc1, mlp.fc2, self.layer_scale_2,
            inner_shortcut=False)
        del self.norm1, self.norm2, self.layer_scale_1, self.layer_scale_2
        self.drop_path = nn.Identity()
        self.deploy = True


class OverlapPatchEmbed(nn.Module):
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

    def switch_to_deploy(self) -> None:
        """Fold the batch norm into the conv."""
        if not isinstance(self.norm, nn.Identity):
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

    Args:
        arch: ``'b0'``..``'b6'`` (B0-B3 also as ``'tiny'``, ``'small'``,
            ``'base'``, ``'large'``) or a dict with ``embed_dims``,
            ``depths`` and ``mlp_ratios`` (one entry per stage).
        in_channels: input image channels.
        out_indices: stages whose outputs ``forward`` returns.
        frozen_stages: freeze stages ``1..frozen_stages``.
        norm_eval: keep batch norms in eval mode while training.
        drop_rate: dropout in the FFNs.
        drop_path_rate: stochastic depth, linearly increasing per block.
        layer_scale_init_value: initial value of the layer scales.
        deploy: build the inference form of :meth:`switch_to_deploy` (batch
            norms and layer scales folded into the convs) that loads a
            checkpoint written by ``tools/deploy/reparameterize.py``.
        channels_last: run the layers on channels-last tensors (the
            input is converted once; shapes are unchanged): ``None`` on
            CPUs, where oneDNN's kernels are faster in it.
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

    def __init__(self,
                 arch: Union[str, dict] = 'b0',
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 frozen_stages: int = 0,
                 norm_eval: bool = False,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-2,
                 deploy: bool = False,
                 channels_last: Optional[bool] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(arch, out_indices, frozen_stages, norm_eval,
                         init_cfg, channels_last)
        self.embed_dims = list(self.arch_settings['embed_dims'])
        self.depths = list(self.arch_settings['depths'])
        self.mlp_ratios = list(self.arch_settings['mlp_ratios'])
        self.in_channels = in_channels
        dpr = drop_path_rates(drop_path_rate, sum(self.depths))
        block_index = 0
        channels = in_channels
        for i, (width, depth) in enumerate(zip(self.embed_dims,
                                               self.depths)):
            embed = OverlapPatchEmbed(channels, width, 7 if i == 0 else 3)
            blocks = nn.ModuleList(
                VANBlock(width, self.mlp_ratios[i], drop_rate,
                         dpr[block_index + j], layer_scale_init_value)
                for j in range(depth))
            block_index += depth
            channels = width
            self.add_module(f'patch_embed{i + 1}', embed)
            self.add_module(f'block{i + 1}', blocks)
            self.add_module(f'norm{i + 1}', LayerNorm2d(width, eps=1e-6))
        if deploy:
            self.switch_to_deploy()
        self._freeze_stages()

    def stage_modules(self, index: int) -> List[nn.Module]:
        return [getattr(self, f'{name}{index + 1}')
                for name in ('patch_embed', 'block', 'norm')]

    def init_from_scratch(self) -> None:
        """Official init: conv ~ N(0, 2 / fan_out), norms to identity."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_out = (m.kernel_size[0] * m.kernel_size[1] *
                           m.out_channels) // m.groups
                nn.init.normal_(m.weight, 0, math.sqrt(2.0 / fan_out))
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.prepare_input(x)
        outs = []
        for i in range(self.num_stages):
            embed, blocks, norm = self.stage_modules(i)
            x = embed(x)
            for block in blocks:
                x = block(x)
            x = norm(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    @classmethod
    def rename_checkpoint(cls, state_dict: StateDict,
                          model: nn.Module) -> StateDict:
        """Convert official or mmpretrain VAN keys to mmcnn's.

        Official checkpoints differ only by the nested ``mlp.dwconv.dwconv``.
        mmpretrain's use
        ``blocks{i}``, ``patch_embed{i}.projection`` and
        ``spatial_gating_unit.DW_conv`` / ``DW_D_conv``.
        """
        renames = [
            (r'^blocks(\d)\.', r'block\1.'),
            (r'^(patch_embed\d)\.projection\.', r'\1.proj.'),
            (r'\.spatial_gating_unit\.DW_conv\.',
             '.spatial_gating_unit.conv0.'),
            (r'\.spatial_gating_unit\.DW_D_conv\.',
             '.spatial_gating_unit.conv_spatial.'),
            (r'\.mlp\.dwconv\.dwconv\.', '.mlp.dwconv.'),
        ]
        converted = {}
        for key, value in state_dict.items():
            for pattern, replacement in renames:
                key = re.sub(pattern, replacement, key)
            converted[key] = value
        return converted

"""MogaNet: Multi-order Gated Aggregation Network.

Li et al., "MogaNet: Multi-order Gated Aggregation Network", ICLR 2024
(arXiv:2211.03295). Module names follow the official implementation
(Westlake-AI/MogaNet), so its ImageNet checkpoints load directly.
"""
import re
from functools import partial
from typing import List, Optional, Sequence, Union, Unpack

import torch
from mmcv.cnn import build_activation_layer, build_norm_layer
from torch import nn

from mmcnn.registry import MODELS
from ..layers import (BlockSequence, DepthwiseConv2d, ElementScale,
                      LayerScaleBlock, Reparameterizable, activate_,
                      addcmul_, conv_act_project, drop_path_rates, mul_,
                      residual_add)
from ..layers.fuse import fold_input_affine, fold_output_bn
from ..layers.init import init_fan_out
from .base import BackboneArgs, ConvNetBackbone, no_weight_decay


def _norm(norm_cfg: dict, channels: int) -> nn.Module:
    return build_norm_layer(norm_cfg, channels)[1]


class ChannelAggregationFFN(Reparameterizable):
    """Channel aggregation FFN, ``(N, C, H, W) -> (N, C, H, W)``.

    ``h = act(DW3x3(fc1(x)))``, then the channel aggregation
    ``h + sigma * (h - act(decompose(h)))`` with ``decompose`` a 1x1 conv to
    one channel, then ``fc2`` back to C channels.
    """

    def __init__(self,
                 embed_dims: int,
                 hidden_dims: int,
                 kernel_size: int = 3,
                 act_cfg: Optional[dict] = None,
                 drop_rate: float = 0.) -> None:
        super().__init__()
        act_cfg = act_cfg or dict(type='GELU')
        self.fc1 = nn.Conv2d(embed_dims, hidden_dims, 1)
        self.dwconv = DepthwiseConv2d(hidden_dims, kernel_size,
                                      padding=kernel_size // 2)
        self.act = build_activation_layer(act_cfg)
        self.fc2 = nn.Conv2d(hidden_dims, embed_dims, 1)
        self.drop = nn.Dropout(drop_rate)
        self.decompose = nn.Conv2d(hidden_dims, 1, 1)
        self.sigma = ElementScale(hidden_dims, init_value=1e-5)
        self.decompose_act = build_activation_layer(act_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, d = conv_act_project(self.dwconv, x, self.act, self.drop,
                                self.decompose, self.decompose_act, self.fc1)
        if self.deploy:
            return addcmul_(self.fc2(x), self.decompose_proj, d, value=-1)
        x = residual_add(x, mul_(torch.sub(x, d), self.sigma.scale))
        return self.drop(self.fc2(x))

    def reparameterize(self) -> None:
        """Fold ``sigma`` into ``fc2`` (inference form).

        ``fc2(h + sigma * (h - d))`` with the one-channel ``d`` equals
        ``fc2'(h) - v * d`` where ``fc2'`` has its input scaled by
        ``1 + sigma`` and ``v = W_fc2 @ sigma``, so the element-wise work
        runs at the output width instead of the hidden width.
        """
        sigma = self.sigma.scale.detach().reshape(-1)
        weight = self.fc2.weight.detach().flatten(1).double()
        proj = (weight @ sigma.double()).to(sigma.dtype)
        self.fc2 = fold_input_affine(self.fc2, 1 + sigma)
        self.decompose_proj = nn.Parameter(proj.reshape(1, -1, 1, 1))
        del self.sigma


class MultiOrderDWConv(nn.Module):
    """Multi-order value branch, ``(N, C, H, W) -> (N, C, H, W)``.

    A DW5x5 (dilation ``d0``) on all channels; its output is split 1:3:4
    along C: the first part is kept, the second goes through a DW5x5
    (dilation ``d1``), the third through a DW7x7 (dilation ``d2``); the
    concatenation is mixed by a 1x1 conv.
    """

    def __init__(self,
                 embed_dims: int,
                 dw_dilation: Sequence[int] = (1, 2, 3),
                 channel_split: Sequence[int] = (1, 3, 4)) -> None:
        super().__init__()
        if len(dw_dilation) != 3 or len(channel_split) != 3:
            raise ValueError('dw_dilation and channel_split need 3 entries, '
                             f'got {dw_dilation} and {channel_split}.')
        if embed_dims % sum(channel_split):
            raise ValueError(
                f'MogaNet widths must be divisible by {sum(channel_split)} '
                f'(the channel split {list(channel_split)}); got '
                f'{embed_dims}.')
        total = sum(channel_split)
        self.dims_1 = embed_dims * channel_split[1] // total
        self.dims_2 = embed_dims * channel_split[2] // total
        self.dims_0 = embed_dims - self.dims_1 - self.dims_2
        self.DW_conv0 = self._dw(embed_dims, 5, dw_dilation[0])
        self.DW_conv1 = self._dw(self.dims_1, 5, dw_dilation[1])
        self.DW_conv2 = self._dw(self.dims_2, 7, dw_dilation[2])
        self.PW_conv = nn.Conv2d(embed_dims, embed_dims, 1)

    @staticmethod
    def _dw(channels: int, kernel_size: int,
            dilation: int) -> DepthwiseConv2d:
        return DepthwiseConv2d(channels, kernel_size, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.DW_conv0(x)
        x_0, x_1, x_2 = torch.split(
            x, [self.dims_0, self.dims_1, self.dims_2], dim=1)
        x = torch.cat([x_0, self.DW_conv1(x_1), self.DW_conv2(x_2)], dim=1)
        return self.PW_conv(x)


class MultiOrderGatedAggregation(nn.Module):
    """Spatial aggregation, ``(N, C, H, W) -> (N, C, H, W)``.

    ``y = proj_1(x)``; feature decomposition
    ``y = SiLU(y + sigma * (y - GAP(y)))``; then
    ``proj_2(SiLU(gate(y)) * SiLU(value(y))) + x``.
    """

    def __init__(self,
                 embed_dims: int,
                 dw_dilation: Sequence[int] = (1, 2, 3),
                 channel_split: Sequence[int] = (1, 3, 4),
                 act_cfg: Optional[dict] = None) -> None:
        super().__init__()
        act_cfg = act_cfg or dict(type='SiLU')
        self.proj_1 = nn.Conv2d(embed_dims, embed_dims, 1)
        self.gate = nn.Conv2d(embed_dims, embed_dims, 1)
        self.value = MultiOrderDWConv(embed_dims, dw_dilation, channel_split)
        self.proj_2 = nn.Conv2d(embed_dims, embed_dims, 1)
        self.act_value = build_activation_layer(act_cfg)
        self.act_gate = build_activation_layer(act_cfg)
        self.sigma = ElementScale(embed_dims, init_value=1e-5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.proj_1(x)
        decomposed = torch.sub(x, x.mean((2, 3), keepdim=True))
        x = activate_(self.act_value,
                      residual_add(x, mul_(decomposed, self.sigma.scale)))
        gated = mul_(activate_(self.act_gate, self.gate(x)),
                     activate_(self.act_gate, self.value(x)))
        return residual_add(shortcut, self.proj_2(gated))


class MogaBlock(LayerScaleBlock):
    """One MogaNet block, ``(N, C, H, W) -> (N, C, H, W)``:
    :class:`LayerScaleBlock` with the multi-order gated aggregation as
    ``attn`` and the channel aggregation FFN as ``mlp``."""

    def __init__(self,
                 embed_dims: int,
                 ffn_ratio: float = 4.,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 act_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 init_value: float = 1e-5,
                 attn_dw_dilation: Sequence[int] = (1, 2, 3),
                 attn_channel_split: Sequence[int] = (1, 3, 4),
                 attn_act_cfg: Optional[dict] = None) -> None:
        norm_cfg = norm_cfg or dict(type='BN')
        super().__init__(
            embed_dims, _norm(norm_cfg, embed_dims),
            MultiOrderGatedAggregation(embed_dims, attn_dw_dilation,
                                       attn_channel_split, attn_act_cfg),
            _norm(norm_cfg, embed_dims),
            ChannelAggregationFFN(embed_dims, int(embed_dims * ffn_ratio),
                                  act_cfg=act_cfg, drop_rate=drop_rate),
            drop_path_rate, init_value, (1, embed_dims, 1, 1))


class ConvPatchEmbed(Reparameterizable):
    """Downsampling between stages: 3x3 stride-2 conv + norm."""

    def __init__(self,
                 in_channels: int,
                 embed_dims: int,
                 kernel_size: int = 3,
                 stride: int = 2,
                 norm_cfg: Optional[dict] = None) -> None:
        super().__init__()
        self.projection = nn.Conv2d(in_channels, embed_dims, kernel_size,
                                    stride=stride, padding=kernel_size // 2)
        self.norm = _norm(norm_cfg or dict(type='BN'), embed_dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.projection(x))

    def reparameterize(self) -> None:
        """Fold the norm into the conv (inference form)."""
        self.projection = fold_output_bn(self.projection, self.norm)
        self.norm = nn.Identity()


class StackConvPatchEmbed(Reparameterizable):
    """Stem: conv(C/2, s2) -> norm -> act -> conv(C, s2) -> norm."""

    def __init__(self,
                 in_channels: int,
                 embed_dims: int,
                 kernel_size: int = 3,
                 stride: int = 2,
                 act_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None) -> None:
        super().__init__()
        norm_cfg = norm_cfg or dict(type='BN')
        padding = kernel_size // 2
        self.projection = nn.Sequential(
            nn.Conv2d(in_channels, embed_dims // 2, kernel_size, stride,
                      padding),
            _norm(norm_cfg, embed_dims // 2),
            build_activation_layer(act_cfg or dict(type='GELU')),
            nn.Conv2d(embed_dims // 2, embed_dims, kernel_size, stride,
                      padding),
            _norm(norm_cfg, embed_dims),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.projection(x)

    def reparameterize(self) -> None:
        """Fold both norms into their convs (inference form)."""
        for conv, norm in ((0, 1), (3, 4)):
            self.projection[conv] = fold_output_bn(self.projection[conv],
                                                   self.projection[norm])
            self.projection[norm] = nn.Identity()


def _arch(widths: List[int], depths: List[int]) -> dict:
    return dict(embed_dims=widths, depths=depths, ffn_ratios=[8, 8, 4, 4])


# The modules MogaNet's lr decay rule matches: (kind, stage, block).
_LAYER_NAME = re.compile(r'(patch_embed|blocks)([1-4])\.(\d+)?')


@MODELS.register_module()
class MogaNet(ConvNetBackbone):
    """MogaNet backbone.

    Stage ``i`` is ``patch_embed{i}`` (stride 4 for the stem, 2 after),
    ``blocks{i}`` and ``norm{i}``; the normalised map feeds the next stage
    and is the stage output (stride ``2 ** (i + 1)``).

    Args (the common ones as in :class:`ConvNetBackbone`):
        arch: a name from ``arch_zoo`` or a dict with ``embed_dims``,
            ``depths`` and ``ffn_ratios`` (one entry per stage; widths
            divisible by 8).
        init_value: layer-scale initial value.
        norm_cfg: norm of the blocks and patch embeddings.
        stage_norm_cfg: norm after each stage.
        attn_dw_dilation: dilations of the three value-branch DW convs.
        attn_channel_split: channel split of the value branch.
        attn_final_dilation: use ``attn_dw_dilation`` in the last stage
            (otherwise its DW7x7 has dilation 1).
        init_cfg: initialisation, e.g. ``dict(type='Pretrained',
            checkpoint='moganet_tiny_sz224_8xbs128_ep300.pth.tar')``.
    """

    arch_zoo = {
        **dict.fromkeys(['xt', 'x-tiny', 'xtiny'],
                        _arch([32, 64, 96, 192], [3, 3, 10, 2])),
        **dict.fromkeys(['t', 'tiny'],
                        _arch([32, 64, 128, 256], [3, 3, 12, 2])),
        **dict.fromkeys(['s', 'small'],
                        _arch([64, 128, 320, 512], [2, 3, 12, 2])),
        **dict.fromkeys(['b', 'base'],
                        _arch([64, 160, 320, 512], [4, 6, 22, 3])),
        **dict.fromkeys(['l', 'large'],
                        _arch([64, 160, 320, 640], [4, 6, 44, 4])),
        **dict.fromkeys(['xl', 'x-large', 'xlarge'],
                        _arch([96, 192, 480, 960], [6, 6, 44, 4])),
    }
    arch_keys = ('embed_dims', 'depths', 'ffn_ratios')
    paramwise_cfg = no_weight_decay('layer_scale', 'sigma.scale')
    # Official init: conv ~ N(0, 2 / fan_out), norms to identity.
    scratch_init = staticmethod(partial(
        init_fan_out, norm_types=(nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm)))
    stage_names = ('patch_embed{n}', 'blocks{n}', 'norm{n}')
    output_norm_name = None
    lr_decay_types = ('layer_wise', )

    def __init__(self,
                 arch: Union[str, dict] = 'tiny',
                 *,
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 init_value: float = 1e-5,
                 norm_cfg: Optional[dict] = None,
                 stage_norm_cfg: Optional[dict] = None,
                 attn_dw_dilation: Sequence[int] = (1, 2, 3),
                 attn_channel_split: Sequence[int] = (1, 3, 4),
                 attn_final_dilation: bool = True,
                 deploy: bool = False,
                 **common: Unpack[BackboneArgs]) -> None:
        super().__init__(arch, **common)
        norm_cfg = norm_cfg or dict(type='BN')
        stage_norm_cfg = stage_norm_cfg or dict(type='BN')
        self.embed_dims = list(self.arch_settings['embed_dims'])
        self.depths = list(self.arch_settings['depths'])
        self.ffn_ratios = list(self.arch_settings['ffn_ratios'])
        split = sum(attn_channel_split)
        bad = [w for w in self.embed_dims if w % split]
        if bad:
            raise ValueError(
                f'MogaNet widths {self.embed_dims} must all be divisible by '
                f'{split} (the value-branch channel split '
                f'{list(attn_channel_split)}); {bad} are not.')
        dpr = drop_path_rates(drop_path_rate, sum(self.depths))
        block_index = 0
        for i, (width, depth) in enumerate(zip(self.embed_dims,
                                               self.depths)):
            if i == 0:
                embed = StackConvPatchEmbed(self.in_channels, width,
                                            norm_cfg=norm_cfg)
            else:
                embed = ConvPatchEmbed(self.embed_dims[i - 1], width,
                                       norm_cfg=norm_cfg)
            dilation = attn_dw_dilation
            if i == self.num_stages - 1 and not attn_final_dilation:
                dilation = (attn_dw_dilation[0], attn_dw_dilation[1], 1)
            blocks = BlockSequence(
                MogaBlock(width,
                          ffn_ratio=self.ffn_ratios[i],
                          drop_rate=drop_rate,
                          drop_path_rate=dpr[block_index + j],
                          norm_cfg=norm_cfg,
                          init_value=init_value,
                          attn_dw_dilation=dilation,
                          attn_channel_split=attn_channel_split)
                for j in range(depth))
            block_index += depth
            self.add_module(f'patch_embed{i + 1}', embed)
            self.add_module(f'blocks{i + 1}', blocks)
            self.add_module(f'norm{i + 1}', _norm(stage_norm_cfg, width))
        self.finish_init(deploy)

    def layer_id(self, name: str, num_layers: int,
                 decay_type: str = 'layer_wise') -> int:
        """MogaNet's official layer-wise lr decay rule for its four stages.

        ``patch_embed1`` -> 0; ``blocks1`` -> 2; ``patch_embed2`` and
        ``blocks2`` -> 3; ``patch_embed3`` -> 4; ``blocks3.j`` ->
        ``min(3 + j // 2, num_layers - 1)``; ``patch_embed4`` and
        ``blocks4`` -> ``num_layers``. As in the official code, the stage
        norms ``norm{i}`` match no rule and train at the full rate with the
        neck and heads (``num_layers + 1``).
        """
        self.check_decay_type(decay_type)
        match = _LAYER_NAME.match(name)
        if match is None:
            return num_layers + 1
        kind, stage = match.group(1), int(match.group(2))
        if stage == 4:
            return num_layers
        if kind == 'patch_embed':
            return 0 if stage == 1 else stage + 1
        if stage == 3:
            return min(3 + int(match.group(3)) // 2, num_layers - 1)
        return stage + 1

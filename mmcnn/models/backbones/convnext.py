"""ConvNeXt and ConvNeXt V2.

Liu et al., "A ConvNet for the 2020s", CVPR 2022 (arXiv:2201.03545), and
Woo et al., "ConvNeXt V2: Co-designing and Scaling ConvNets with Masked
Autoencoders", CVPR 2023 (arXiv:2301.00808).

Module names follow the official implementations
(facebookresearch/ConvNeXt and facebookresearch/ConvNeXt-V2, including
their mmdet/mmseg backbones with one output norm ``norm{i}`` per output
stage), so official checkpoints load with a light key conversion; timm and
mmpretrain checkpoints are converted as well.
"""
import math
from typing import List, Union, Unpack

import torch
from torch import nn

from mmcnn.registry import MODELS
from mmcnn.utils.checkpoint import StateDict
from ..layers import (GRN, DepthwiseConv2d, LayerNorm2d, PointwiseLinear,
                      activate_, build_drop_path, drop_path_rates,
                      residual_add)
from ..layers.fuse import fold_output_affine
from ..layers.init import init_trunc_normal
from .base import BackboneArgs, ConvNetBackbone, no_weight_decay
from .checkpoint_keys import Flatten, KeyTable

MLP_RATIO = 4

_TIMM_KEYS = KeyTable((
    (r'^stem\.', 'downsample_layers.0.'),
    (r'^stages\.(\d+)\.downsample\.', r'downsample_layers.\1.'),
    (r'^stages\.(\d+)\.blocks\.(\d+)\.', r'stages.\1.\2.'),
    (r'\.conv_dw\.', '.dwconv.'),
    (r'\.mlp\.fc(\d)\.', r'.pwconv\1.'),
    (r'\.mlp\.grn\.weight$', '.grn.gamma'),
    (r'\.mlp\.grn\.bias$', '.grn.beta'),
), when=('stem.', ))
"""timm's ConvNeXt keys (``stem``, ``stages.{i}.downsample``,
``blocks.{j}.conv_dw``, ``mlp.fc1``, ``mlp.grn.weight``) -> official."""
_MMPRETRAIN_KEYS = KeyTable((
    (r'\.depthwise_conv\.', '.dwconv.'),
    (r'\.pointwise_conv(\d)\.', r'.pwconv\1.'),
))
"""mmpretrain's ConvNeXt keys (``depthwise_conv``, ``pointwise_conv1``)
-> official (names that official and mmcnn keys never contain)."""


class ConvNeXtBlock(nn.Module):
    """One ConvNeXt block, ``(N, C, H, W) -> (N, C, H, W)``.

    ``x + DropPath(gamma * pwconv2(GELU(pwconv1(LN(DW7x7(x))))))``. The
    LayerNorm and the two pointwise layers (``nn.Linear``) act on the
    channels-last ``(N, H, W, C)`` view, as in the official code. ConvNeXt
    V2 inserts GRN after the GELU and drops the layer scale ``gamma``.

    Args:
        channels: number of channels C.
        drop_path_rate: stochastic depth rate of the residual branch.
        layer_scale_init_value: initial value of ``gamma``; 0 builds no
            layer scale.
        use_grn: apply Global Response Normalisation (ConvNeXt V2).
    """

    def __init__(self,
                 channels: int,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-6,
                 use_grn: bool = False) -> None:
        super().__init__()
        hidden = MLP_RATIO * channels
        self.dwconv = DepthwiseConv2d(channels, 7)
        self.norm = nn.LayerNorm(channels, eps=1e-6)
        self.pwconv1 = PointwiseLinear(channels, hidden)
        self.act = nn.GELU()
        self.grn = GRN(hidden) if use_grn else None
        self.pwconv2 = PointwiseLinear(hidden, channels)
        self.gamma = (nn.Parameter(torch.full((channels, ),
                                              float(layer_scale_init_value)))
                      if layer_scale_init_value > 0 else None)
        self.drop_path = build_drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.dwconv(x).permute(0, 2, 3, 1)
        x = activate_(self.act, self.pwconv1(self.norm(x)))
        x = (self.pwconv2(x)
             if self.grn is None else self.grn.project(x, self.pwconv2))
        if self.gamma is not None:
            x = x * self.gamma
        return residual_add(shortcut,
                            self.drop_path(x.permute(0, 3, 1, 2)))

    def switch_to_deploy(self) -> None:
        """Fold the layer scale into ``pwconv2`` (``gamma * (W h + b)`` is
        ``(gamma W) h + gamma b``); the block then equals one built with
        ``layer_scale_init_value=0``. Drop path is dropped."""
        if self.gamma is not None:
            self.pwconv2 = fold_output_affine(self.pwconv2, self.gamma)
            self.gamma = None
        self.drop_path = nn.Identity()


def _arch(widths: List[int], depths: List[int]) -> dict:
    return dict(embed_dims=widths, depths=depths)


_SMALL_ARCHS = {
    'atto': _arch([40, 80, 160, 320], [2, 2, 6, 2]),
    'femto': _arch([48, 96, 192, 384], [2, 2, 6, 2]),
    'pico': _arch([64, 128, 256, 512], [2, 2, 6, 2]),
    'nano': _arch([80, 160, 320, 640], [2, 2, 8, 2]),
}
_TINY = _arch([96, 192, 384, 768], [3, 3, 9, 3])
_BASE = _arch([128, 256, 512, 1024], [3, 3, 27, 3])
_LARGE = _arch([192, 384, 768, 1536], [3, 3, 27, 3])


@MODELS.register_module()
class ConvNeXt(ConvNetBackbone):
    """ConvNeXt backbone.

    A 4x4 stride-4 conv + LN stem and LN + 2x2 stride-2 conv downsampling
    layers (``downsample_layers.{i}``) lead into the stages of
    :class:`ConvNeXtBlock` (``stages.{i}``); stage ``i`` has stride
    ``2 ** (i + 2)``. Every output stage ``i`` gets its own channels-first
    LayerNorm ``norm{i}`` (the official detection/segmentation backbone,
    where all four start fresh); with ``gap_before_final_norm`` (the
    classification form) ``norm{last}`` takes the official classifier's
    final norm and is applied after pooling, as there. The class
    attribute ``use_grn`` (set by :class:`ConvNeXtV2`) adds GRN to blocks.

    Args (the common ones as in :class:`ConvNetBackbone`):
        arch: a name from ``arch_zoo`` (atto..nano are timm's small
            variants) or a dict with ``embed_dims`` and ``depths``.
        layer_scale_init_value: initial layer-scale value; 0 disables it
            (and builds the form that loads a :meth:`switch_to_deploy`
            checkpoint).
        gap_before_final_norm: build the classification form
            (:attr:`ConvNetBackbone.gap_before_final_norm`).
    """

    arch_zoo = {
        **_SMALL_ARCHS,
        **dict.fromkeys(['t', 'tiny'], _TINY),
        **dict.fromkeys(['s', 'small'],
                        _arch([96, 192, 384, 768], [3, 3, 27, 3])),
        **dict.fromkeys(['b', 'base'], _BASE),
        **dict.fromkeys(['l', 'large'], _LARGE),
        **dict.fromkeys(['xl', 'xlarge'],
                        _arch([256, 512, 1024, 2048], [3, 3, 27, 3])),
    }
    arch_keys = ('embed_dims', 'depths')
    # Official init: conv and linear weights ~ TN(0, 0.02), bias 0.
    scratch_init = staticmethod(init_trunc_normal)
    use_grn = False
    classifier_norm_prefixes = ('norm.', 'head.norm.')
    classifier_form_arg = 'gap_before_final_norm'
    # The official lr decay rules; ConvNeXt V2 shares them.
    lr_decay_types = ('layer_wise', 'stage_wise')
    layer_id = ConvNetBackbone.convnext_layout_id
    paramwise_cfg = no_weight_decay('.gamma')
    extra_dropped = ((
        'FCMAE decoder', ('proj.', 'decoder.', 'mask_token', 'pred.'),
        'the masked-autoencoder pre-training decoder, not part of the '
        'encoder (the backbone)'), )
    checkpoint_tables = (_TIMM_KEYS, _MMPRETRAIN_KEYS)
    # timm's 1x1-conv MLP weights; GRN parameters, (1, 1, 1, C) in the
    # official files.
    checkpoint_reshapes = (Flatten(r'\.pwconv', 2),
                           Flatten(r'\.grn\.(gamma|beta)$', 1))

    def __init__(self,
                 arch: Union[str, dict] = 'tiny',
                 *,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-6,
                 gap_before_final_norm: bool = False,
                 deploy: bool = False,
                 **common: Unpack[BackboneArgs]) -> None:
        super().__init__(arch, **common)
        self.embed_dims = list(self.arch_settings['embed_dims'])
        self.depths = list(self.arch_settings['depths'])
        self.gap_before_final_norm = gap_before_final_norm
        self.downsample_layers = nn.ModuleList()
        self.stages = nn.ModuleList()
        dpr = drop_path_rates(drop_path_rate, sum(self.depths))
        prev = self.in_channels
        for i, (width, depth) in enumerate(zip(self.embed_dims,
                                               self.depths)):
            if i == 0:
                downsample = nn.Sequential(
                    nn.Conv2d(self.in_channels, width, 4, stride=4),
                    LayerNorm2d(width))
            else:
                downsample = nn.Sequential(
                    LayerNorm2d(prev), nn.Conv2d(prev, width, 2, stride=2))
            self.downsample_layers.append(downsample)
            first = sum(self.depths[:i])
            self.stages.append(nn.Sequential(*(
                ConvNeXtBlock(width, dpr[first + j], layer_scale_init_value,
                              self.use_grn) for j in range(depth))))
            if i in self.out_indices:
                self.add_module(f'norm{i}', LayerNorm2d(width))
            prev = width
        self.finish_init(deploy)

    @classmethod
    def rename_checkpoint(cls, state_dict: StateDict,
                          model: nn.Module) -> StateDict:
        """Convert official, timm, FCMAE or mmpretrain keys to mmcnn's.

        mmcnn keeps the official names. ConvNeXt V2's FCMAE pre-training
        files (``encoder.*`` with sparse-conv ``kernel`` tensors) are first
        made the dense encoder (:func:`_from_fcmae`), as the official
        fine-tuning does; then ``checkpoint_tables`` and
        ``checkpoint_reshapes`` apply.
        """
        if any(k.startswith('encoder.') for k in state_dict):
            state_dict = _from_fcmae(state_dict)
        return super().rename_checkpoint(state_dict, model)


def _from_fcmae(state_dict: StateDict) -> StateDict:
    """The dense encoder of an FCMAE checkpoint (ConvNeXt V2 pre-training).

    ``encoder.`` is removed; MinkowskiEngine's ``kernel`` of shape
    ``(k*k, C_in, C_out)`` (``(k*k, C)`` depth-wise), indexed along the
    width first, becomes a conv ``weight``; the ``ln``/``linear`` wrappers
    are dropped and ``(1, C)`` biases and GRN parameters flattened.
    """
    result = {}
    for key, value in state_dict.items():
        if key.startswith('encoder.'):
            key = key[len('encoder.'):]
        parts = key.split('.')
        if parts[-1] == 'kernel':
            size = math.isqrt(value.shape[0])
            if value.dim() == 3:
                value = value.permute(2, 1, 0)
            else:
                value = value.t().unsqueeze(1)
            value = value.reshape(*value.shape[:2], size, size)
            value = value.transpose(2, 3)
            parts[-1] = 'weight'
        else:
            parts = [p for p in parts[:-1] if p not in ('ln', 'linear')
                     ] + parts[-1:]
            if value.dim() == 2 and value.shape[0] == 1:
                value = value.flatten()
        result['.'.join(parts)] = value
    return result


@MODELS.register_module()
class ConvNeXtV2(ConvNeXt):
    """ConvNeXt V2 backbone: ConvNeXt with GRN and no layer scale.

    Same layout and arguments as :class:`ConvNeXt`, without
    ``layer_scale_init_value``; each block applies :class:`GRN` after its
    MLP activation. The sizes are the paper's (atto..huge).
    """

    arch_zoo = {
        **_SMALL_ARCHS,
        **dict.fromkeys(['t', 'tiny'], _TINY),
        **dict.fromkeys(['b', 'base'], _BASE),
        **dict.fromkeys(['l', 'large'], _LARGE),
        **dict.fromkeys(['h', 'huge'],
                        _arch([352, 704, 1408, 2816], [3, 3, 27, 3])),
    }
    use_grn = True
    paramwise_cfg = no_weight_decay('.gamma', '.grn.')

    def __init__(self,
                 arch: Union[str, dict] = 'tiny',
                 *,
                 drop_path_rate: float = 0.,
                 gap_before_final_norm: bool = False,
                 **common: Unpack[BackboneArgs]) -> None:
        super().__init__(arch, drop_path_rate=drop_path_rate,
                         layer_scale_init_value=0.,
                         gap_before_final_norm=gap_before_final_norm,
                         **common)

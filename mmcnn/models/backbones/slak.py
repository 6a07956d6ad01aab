"""SLaK: Sparse Large Kernel Network.

Liu et al., "More ConvNets in the 2020s: Scaling up Kernels Beyond 51x51
using Sparsity", ICLR 2023 (arXiv:2207.03620). Module names follow the
official implementation (VITA-Group/SLaK, ``models/SLaK.py``); the official
segmentation/detection copies name the decomposed branches ``LoRA1``/
``LoRA2``, which :meth:`SLaK.checkpoint_filter` renames. The official code
needs a compiled CUTLASS depth-wise kernel; mmcnn runs the same
computation ("same"-padded depth-wise convs) on plain PyTorch.

The paper's 40 % dynamic sparsity (zeros in every 2-D/4-D weight, the
classifier included, their pattern pruned and regrown during training) is
trained with :class:`mmcnn.engine.hooks.DynamicSparsityHook`;
:func:`count_params_at_sparsity` gives the paper's parameter convention.
"""
from typing import Iterable, List, Optional, Tuple, Union, Unpack

import torch
from mmcv.cnn import build_activation_layer
from torch import nn

from mmcnn.registry import MODELS
from ..layers import (DepthwiseConv2d, LayerNorm2d, PointwiseLinear,
                      Reparameterizable, activate_, build_drop_path,
                      drop_path_rates, residual_add)
from ..layers.init import init_trunc_normal
from ..layers.reparam import ConvBN, add_parallel_branch, conv_from_kernel
from .base import BackboneArgs, ConvNetBackbone, no_weight_decay
from .checkpoint_keys import KeyTable


class DecomposedLargeKernelConv(Reparameterizable):
    """SLaK's decomposed depth-wise large kernel, ``(N, C, H, W) -> (N, C, H,
    W)``.

    ``y = BN_1(DW_{K x k}(x)) + BN_2(DW_{k x K}(x)) + BN_3(DW_{k x k}(x))``
    (the ``k x k`` branch only when ``k < K``). In deploy form the ``k x k``
    branch and all BN shifts are folded into ``Decom1`` (a biased ``K x k``
    conv), ``Decom2`` becomes a bias-free ``k x K`` conv: the same output
    with fewer parameters and no extra branch.
    """

    def __init__(self,
                 channels: int,
                 kernel_size: int,
                 small_kernel: int = 5,
                 deploy: bool = False,
                 norm_cfg: Optional[dict] = None) -> None:
        super().__init__()
        if kernel_size % 2 == 0 or small_kernel % 2 == 0:
            raise ValueError('SLaK kernels must have odd sizes, got '
                             f'{kernel_size} and {small_kernel}.')
        self.kernel_size = kernel_size
        self.small_kernel = small_kernel
        tall, wide = (kernel_size, small_kernel), (small_kernel, kernel_size)
        self.deploy = deploy
        if deploy:
            self.Decom1 = self._dw(channels, tall, bias=True)
            self.Decom2 = self._dw(channels, wide, bias=False)
            return
        self.Decom1 = ConvBN(channels, channels, tall, groups=channels,
                             norm_cfg=norm_cfg)
        self.Decom2 = ConvBN(channels, channels, wide, groups=channels,
                             norm_cfg=norm_cfg)
        if small_kernel < kernel_size:
            self.small_conv = ConvBN(channels, channels, small_kernel,
                                     groups=channels, norm_cfg=norm_cfg)

    @staticmethod
    def _dw(channels: int, kernel_size: Tuple[int, int],
            bias: bool) -> DepthwiseConv2d:
        return DepthwiseConv2d(channels, kernel_size, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.Decom1(x) + self.Decom2(x)
        if hasattr(self, 'small_conv'):
            out = out + self.small_conv(x)
        return out

    @torch.no_grad()
    def reparameterize(self) -> None:
        """Fold the BNs and the small branch into ``Decom1``/``Decom2``."""
        tall, tall_bias = self.Decom1.fused_kernel_bias()
        wide, wide_bias = self.Decom2.fused_kernel_bias()
        tall, bias = add_parallel_branch(tall, tall_bias + wide_bias,
                                         getattr(self, 'small_conv', None))
        if hasattr(self, 'small_conv'):
            del self.small_conv
        self.Decom1 = conv_from_kernel(self.Decom1.conv, tall, bias)
        self.Decom2 = conv_from_kernel(self.Decom2.conv, wide, None)


class SLaKBlock(nn.Module):
    """ConvNeXt block with a decomposed large kernel, ``(N, C, H, W) ->
    (N, C, H, W)``.

    ``x + DropPath(gamma * pwconv2(GELU(pwconv1(LN(LK(x))))))``, the
    LayerNorm and the two linear layers (4x expansion) in channels-last.
    """

    def __init__(self,
                 channels: int,
                 kernel_size: int,
                 small_kernel: int = 5,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-6,
                 deploy: bool = False,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None) -> None:
        super().__init__()
        self.large_kernel = DecomposedLargeKernelConv(
            channels, kernel_size, small_kernel, deploy, norm_cfg)
        self.norm = nn.LayerNorm(channels, eps=1e-6)
        self.pwconv1 = PointwiseLinear(channels, 4 * channels)
        self.act = build_activation_layer(act_cfg or dict(type='GELU'))
        self.pwconv2 = PointwiseLinear(4 * channels, channels)
        self.gamma = (nn.Parameter(torch.full((channels, ),
                                              layer_scale_init_value))
                      if layer_scale_init_value > 0 else None)
        self.drop_path = build_drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.large_kernel(x).permute(0, 2, 3, 1)
        y = self.pwconv2(activate_(self.act, self.pwconv1(self.norm(y))))
        if self.gamma is not None:
            y = self.gamma * y
        return residual_add(x, self.drop_path(y.permute(0, 3, 1, 2)))


def _arch(depths: List[int], widths: List[int]) -> dict:
    return dict(depths=depths, embed_dims=widths,
                kernel_sizes=[51, 49, 47, 13], small_kernel=5,
                width_factor=1.3)


@MODELS.register_module()
class SLaK(ConvNetBackbone):
    """SLaK backbone.

    The ConvNeXt layout: stage ``i`` is ``downsample_layers[i]`` (stem:
    4x4 stride-4 conv + LN; later: LN + 2x2 stride-2 conv) and ``stages[i]``;
    its output (stride ``2 ** (i + 2)``) passes through ``norm{i}``, as in
    the official dense-prediction backbone. Widths are ``int(dims *
    width_factor)``: 124, 249, 499, 998 for SLaK-T/S.

    Args (the common ones as in :class:`ConvNetBackbone`):
        arch: ``'tiny'``, ``'small'``, ``'base'`` or a dict with per-stage
            ``depths``, ``dims`` and ``kernel_sizes``, and optionally
            ``small_kernel`` (default 5) and ``width_factor`` (default 1).
        layer_scale_init_value: initial ``gamma`` (0 disables it).
        norm_cfg: norm of the large-kernel branches.
        gap_before_final_norm: build the classification form
            (:attr:`ConvNetBackbone.gap_before_final_norm`).
        init_cfg: e.g. ``dict(type='Pretrained',
            checkpoint='SLaK_tiny_checkpoint.pth')``.
    """

    arch_zoo = {
        **dict.fromkeys(['t', 'tiny'],
                        _arch([3, 3, 9, 3], [96, 192, 384, 768])),
        **dict.fromkeys(['s', 'small'],
                        _arch([3, 3, 27, 3], [96, 192, 384, 768])),
        **dict.fromkeys(['b', 'base'],
                        _arch([3, 3, 27, 3], [128, 256, 512, 1024])),
    }
    arch_keys = ('embed_dims', 'depths', 'kernel_sizes')
    paramwise_cfg = no_weight_decay('.gamma')
    # Official init: conv and linear weights ~ TN(0, 0.02), zero bias.
    scratch_init = staticmethod(init_trunc_normal)
    classifier_norm_prefixes = ('norm.', )
    classifier_form_arg = 'gap_before_final_norm'
    # The dense-prediction copies name the decomposed branches LoRA1/LoRA2.
    checkpoint_tables = (KeyTable(((r'\.LoRA1\.', '.Decom1.'),
                                   (r'\.LoRA2\.', '.Decom2.'))), )
    # ConvNeXt's lr decay rules, which the official SLaK downstream
    # code uses.
    lr_decay_types = ('layer_wise', 'stage_wise')
    layer_id = ConvNetBackbone.convnext_layout_id

    def __init__(self,
                 arch: Union[str, dict] = 'tiny',
                 *,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-6,
                 deploy: bool = False,
                 norm_cfg: Optional[dict] = None,
                 gap_before_final_norm: bool = False,
                 **common: Unpack[BackboneArgs]) -> None:
        super().__init__(arch, **common)
        settings = self.arch_settings
        factor = settings.get('width_factor', 1.)
        self.embed_dims = [int(d * factor) for d in settings['embed_dims']]
        self.depths = list(settings['depths'])
        self.kernel_sizes = list(settings['kernel_sizes'])
        self.small_kernel = settings.get('small_kernel', 5)
        self.gap_before_final_norm = gap_before_final_norm

        self.downsample_layers = nn.ModuleList([nn.Sequential(
            nn.Conv2d(self.in_channels, self.embed_dims[0], 4, stride=4),
            LayerNorm2d(self.embed_dims[0]))])
        for i in range(self.num_stages - 1):
            self.downsample_layers.append(nn.Sequential(
                LayerNorm2d(self.embed_dims[i]),
                nn.Conv2d(self.embed_dims[i], self.embed_dims[i + 1], 2,
                          stride=2)))
        dpr = drop_path_rates(drop_path_rate, sum(self.depths))
        self.stages = nn.ModuleList()
        for i, (width, depth) in enumerate(zip(self.embed_dims, self.depths)):
            start = sum(self.depths[:i])
            self.stages.append(nn.Sequential(*[
                SLaKBlock(width, self.kernel_sizes[i], self.small_kernel,
                          dpr[start + j], layer_scale_init_value, deploy,
                          norm_cfg) for j in range(depth)]))
        for i in self.out_indices:
            self.add_module(f'norm{i}', LayerNorm2d(self.embed_dims[i]))
        self.finish_init(deploy)


def sparse_weight_names(model: nn.Module) -> List[str]:
    """Parameters SLaK's dynamic sparsity masks: every 2-D or 4-D weight
    (convs and linear layers, a classifier included)."""
    return [name for name, p in model.named_parameters() if p.dim() in (2, 4)]


def count_params_at_sparsity(model: nn.Module, sparsity: float,
                             names: Optional[Iterable[str]] = None) -> float:
    """Non-zero parameters when the weights in ``names`` (default:
    :func:`sparse_weight_names`) are ``sparsity`` sparse, the paper's
    ``#params``: ``(1 - s) * masked + unmasked``."""
    if not 0. <= sparsity < 1.:
        raise ValueError(f'sparsity must be in [0, 1), got {sparsity}.')
    masked = set(sparse_weight_names(model) if names is None else names)
    total = 0.
    for name, param in model.named_parameters():
        keep = 1. - sparsity if name in masked else 1.
        total += keep * param.numel()
    return total

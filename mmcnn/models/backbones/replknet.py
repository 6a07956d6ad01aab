"""RepLKNet: large depth-wise kernels with structural re-parameterisation.

Ding et al., "Scaling Up Your Kernels to 31x31: Revisiting Large Kernel
Design in CNNs", CVPR 2022 (arXiv:2203.06717). Module names follow the
official implementation (DingXiaoH/RepLKNet-pytorch), so its ImageNet,
COCO and ADE20K checkpoints load directly; the large-kernel convolutions run
on plain PyTorch (the official repo optionally uses a CUDA iGEMM kernel with
the same weights).
"""
from typing import List, Optional, Sequence, Union, Unpack

import torch
from mmcv.cnn import build_activation_layer, build_norm_layer
from torch import nn

from mmcnn.registry import MODELS
from ..layers import (BlockSequence, DepthwiseConv2d, Reparameterizable,
                      activate_, build_drop_path, drop_path_rates,
                      residual_add)
from ..layers.reparam import ConvBN, add_parallel_branch, conv_from_kernel
from .base import BackboneArgs, ConvNetBackbone


class ReparamLargeKernelConv(Reparameterizable):
    """Depth-wise ``K x K`` conv + BN, plus a parallel ``k x k`` conv + BN.

    ``(N, C, H, W) -> (N, C, H, W)``:
    ``y = BN_K(DW_K(x)) + BN_k(DW_k(x))``. In deploy form both branches are
    one biased ``K x K`` conv, ``lkb_reparam``, whose kernel is the folded
    large kernel plus the folded small kernel zero-padded to ``K x K``.
    """

    def __init__(self,
                 channels: int,
                 kernel_size: int,
                 small_kernel: Optional[int] = 5,
                 deploy: bool = False,
                 norm_cfg: Optional[dict] = None) -> None:
        super().__init__()
        if small_kernel is not None and small_kernel > kernel_size:
            raise ValueError(f'The parallel kernel ({small_kernel}) cannot '
                             f'be larger than the large one ({kernel_size}).')
        self.kernel_size = kernel_size
        self.small_kernel = small_kernel
        self.deploy = deploy
        if deploy:
            self.lkb_reparam = DepthwiseConv2d(channels, kernel_size,
                                               padding=kernel_size // 2)
            return
        self.lkb_origin = ConvBN(channels, channels, kernel_size,
                                 groups=channels, norm_cfg=norm_cfg)
        if small_kernel is not None:
            self.small_conv = ConvBN(channels, channels, small_kernel,
                                     groups=channels, norm_cfg=norm_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.deploy:
            return self.lkb_reparam(x)
        out = self.lkb_origin(x)
        if hasattr(self, 'small_conv'):
            out = out + self.small_conv(x)
        return out

    @torch.no_grad()
    def reparameterize(self) -> None:
        """Merge the branches into ``lkb_reparam`` (BN in eval form)."""
        kernel, bias = add_parallel_branch(
            *self.lkb_origin.fused_kernel_bias(),
            getattr(self, 'small_conv', None))
        if hasattr(self, 'small_conv'):
            del self.small_conv
        self.lkb_reparam = conv_from_kernel(self.lkb_origin.conv, kernel,
                                            bias)
        del self.lkb_origin


class RepLKBlock(nn.Module):
    """Large-kernel block, ``(N, C, H, W) -> (N, C, H, W)``.

    ``x + DropPath(pw2(ReLU(LK(pw1(BN(x))))))`` with ``pw1`` a 1x1
    conv-BN-ReLU to ``dw_channels``, ``LK`` the re-parameterisable
    depth-wise large kernel and ``pw2`` a 1x1 conv-BN back to C.
    """

    def __init__(self,
                 channels: int,
                 dw_channels: int,
                 kernel_size: int,
                 small_kernel: Optional[int],
                 drop_path_rate: float = 0.,
                 deploy: bool = False,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None) -> None:
        super().__init__()
        norm_cfg = norm_cfg or dict(type='BN')
        act_cfg = act_cfg or dict(type='ReLU')
        self.prelkb_bn = build_norm_layer(norm_cfg, channels)[1]
        self.pw1 = ConvBN(channels, dw_channels, 1, norm_cfg=norm_cfg,
                          act_cfg=act_cfg)
        self.large_kernel = ReparamLargeKernelConv(
            dw_channels, kernel_size, small_kernel, deploy, norm_cfg)
        self.lk_nonlinear = build_activation_layer(act_cfg)
        self.pw2 = ConvBN(dw_channels, channels, 1, norm_cfg=norm_cfg)
        self.drop_path = build_drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.pw1(self.prelkb_bn(x))
        out = self.pw2(activate_(self.lk_nonlinear, self.large_kernel(out)))
        return residual_add(x, self.drop_path(out))


class ConvFFN(nn.Module):
    """1x1-conv FFN, ``(N, C, H, W) -> (N, C, H, W)``.

    ``x + DropPath(pw2(GELU(pw1(BN(x)))))``, ``pw1``/``pw2`` 1x1 conv-BN
    to ``hidden_channels`` and back.
    """

    def __init__(self,
                 channels: int,
                 hidden_channels: int,
                 drop_path_rate: float = 0.,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None) -> None:
        super().__init__()
        norm_cfg = norm_cfg or dict(type='BN')
        self.preffn_bn = build_norm_layer(norm_cfg, channels)[1]
        self.pw1 = ConvBN(channels, hidden_channels, 1, norm_cfg=norm_cfg)
        self.nonlinear = build_activation_layer(act_cfg or dict(type='GELU'))
        self.pw2 = ConvBN(hidden_channels, channels, 1, norm_cfg=norm_cfg)
        self.drop_path = build_drop_path(drop_path_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.pw2(activate_(self.nonlinear, self.pw1(self.preffn_bn(x))))
        return residual_add(x, self.drop_path(out))


class RepLKNetStage(nn.Module):
    """``depth`` pairs of (RepLKBlock, ConvFFN), then ``norm``.

    ``norm`` (BN, or identity) is applied only to the stage output handed to
    the neck, not to the map that feeds the next stage.
    """

    def __init__(self,
                 channels: int,
                 depth: int,
                 kernel_size: int,
                 small_kernel: Optional[int],
                 block_drop_path: Sequence[float],
                 dw_ratio: float = 1.,
                 ffn_ratio: float = 4.,
                 deploy: bool = False,
                 out_norm: bool = False,
                 with_cp: bool = False,
                 norm_cfg: Optional[dict] = None) -> None:
        super().__init__()
        norm_cfg = norm_cfg or dict(type='BN')
        blocks = []
        for rate in block_drop_path[:depth]:
            blocks.append(RepLKBlock(channels, int(channels * dw_ratio),
                                     kernel_size, small_kernel, rate,
                                     deploy, norm_cfg))
            blocks.append(ConvFFN(channels, int(channels * ffn_ratio), rate,
                                  norm_cfg))
        self.blocks = BlockSequence(blocks, with_cp)
        self.norm = (build_norm_layer(norm_cfg, channels)[1]
                     if out_norm else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)


def _arch(kernels: List[int], channels: List[int], small_kernel: Optional[int],
          dw_ratio: float, out_norm: bool) -> dict:
    return dict(large_kernel_sizes=kernels, depths=[2, 2, 18, 2],
                embed_dims=channels, small_kernel=small_kernel,
                dw_ratio=dw_ratio, norm_intermediate_features=out_norm)


@MODELS.register_module()
class RepLKNet(ConvNetBackbone):
    """RepLKNet backbone.

    Stage ``i`` is the stem (``i == 0``, stride 4) or ``transitions[i - 1]``
    (1x1 conv-BN-ReLU to the new width, then a stride-2 DW3x3 conv-BN-ReLU),
    then ``stages[i]``; its output has stride ``2 ** (i + 2)`` and passes
    through ``stages[i].norm``.

    Args (the common ones as in :class:`ConvNetBackbone`):
        arch: ``'31b'``, ``'31l'``, ``'xl'`` or a dict with per-stage
            ``embed_dims``, ``depths`` and ``large_kernel_sizes``, and
            optionally ``small_kernel`` (default 5; ``None``: no parallel
            branch), ``dw_ratio`` (default 1) and
            ``norm_intermediate_features`` (default False).
        ffn_ratio: hidden width of the ConvFFNs.
        norm_intermediate_features: a BN (``stages[i].norm``) on every
            output stage, as the official RepLKNet-XL detection and
            segmentation models use; ``None`` takes the arch's setting (on
            for XL only).
        norm_cfg: norm of all conv-BN pairs (e.g. ``dict(type='SyncBN')``
            as in the official models).
        init_cfg: e.g. ``dict(type='Pretrained',
            checkpoint='RepLKNet-31B_ImageNet-1K_224.pth')``. Official and
            mmpretrain files (``prefix='backbone.'``) share mmcnn's keys;
            the classifier's BN ``norm`` (applied before pooling) and
            ``head`` are not loaded, as in the official dense code.
    """

    arch_zoo = {
        **dict.fromkeys(['31b', 'b', 'base'],
                        _arch([31, 29, 27, 13], [128, 256, 512, 1024], 5, 1.,
                              False)),
        **dict.fromkeys(['31l', 'l', 'large'],
                        _arch([31, 29, 27, 13], [192, 384, 768, 1536], 5, 1.,
                              False)),
        **dict.fromkeys(['xl', 'x-large', 'xlarge'],
                        _arch([27, 27, 27, 13], [256, 512, 1024, 2048], None,
                              1.5, True)),
    }
    arch_keys = ('embed_dims', 'depths', 'large_kernel_sizes')
    output_norm_name = 'stages.{i}.norm'
    classifier_norm_prefixes = ('norm.', )
    classifier_norm_pooled = False

    def __init__(self,
                 arch: Union[str, dict] = '31b',
                 *,
                 drop_path_rate: float = 0.,
                 ffn_ratio: float = 4.,
                 norm_intermediate_features: Optional[bool] = None,
                 deploy: bool = False,
                 with_cp: bool = False,
                 norm_cfg: Optional[dict] = None,
                 **common: Unpack[BackboneArgs]) -> None:
        super().__init__(arch, **common)
        norm_cfg = norm_cfg or dict(type='BN')
        settings = self.arch_settings
        self.embed_dims = list(settings['embed_dims'])
        self.depths = list(settings['depths'])
        self.large_kernel_sizes = list(settings['large_kernel_sizes'])
        self.small_kernel = settings.get('small_kernel', 5)
        self.dw_ratio = settings.get('dw_ratio', 1.)
        if norm_intermediate_features is None:
            norm_intermediate_features = settings.get(
                'norm_intermediate_features', False)
        self.norm_intermediate_features = norm_intermediate_features

        width = self.embed_dims[0]
        relu = dict(type='ReLU')
        self.stem = nn.Sequential(
            ConvBN(self.in_channels, width, 3, 2, norm_cfg=norm_cfg,
                   act_cfg=relu),
            ConvBN(width, width, 3, 1, groups=width, norm_cfg=norm_cfg,
                   act_cfg=relu),
            ConvBN(width, width, 1, norm_cfg=norm_cfg, act_cfg=relu),
            ConvBN(width, width, 3, 2, groups=width, norm_cfg=norm_cfg,
                   act_cfg=relu),
        )
        dpr = drop_path_rates(drop_path_rate, sum(self.depths))
        self.stages = nn.ModuleList()
        self.transitions = nn.ModuleList()
        for i, (depth, channels) in enumerate(zip(self.depths,
                                                  self.embed_dims)):
            start = sum(self.depths[:i])
            self.stages.append(RepLKNetStage(
                channels, depth, self.large_kernel_sizes[i],
                self.small_kernel, dpr[start:start + depth], self.dw_ratio,
                ffn_ratio, deploy,
                norm_intermediate_features and i in self.out_indices,
                with_cp, norm_cfg))
            if i < self.num_stages - 1:
                out = self.embed_dims[i + 1]
                self.transitions.append(nn.Sequential(
                    ConvBN(channels, out, 1, norm_cfg=norm_cfg, act_cfg=relu),
                    ConvBN(out, out, 3, 2, groups=out, norm_cfg=norm_cfg,
                           act_cfg=relu)))
        self.finish_init(deploy)

    def trunk_modules(self, index: int) -> List[nn.Module]:
        """The stem (stage 0) or the transition into stage ``index``, then
        its blocks."""
        first = self.stem if index == 0 else self.transitions[index - 1]
        return [first, self.stages[index]]

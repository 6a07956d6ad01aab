"""LSNet: See Large, Focus Small (Wang et al., CVPR 2025).

A stride-8 conv stem, then four stages at strides 8/16/32/64 (stages 2-4
open with a stride-2 depth-wise 3x3 and a 1x1 conv-BN). Block ``j`` of a
stage is ``x + FFN(x)`` after a token mixer: even ``j`` a re-parameterisable
depth-wise 3x3 (``DW3x3(x) + DW1x1(x) + x``) with squeeze-excitation; odd
``j`` LS convolution in stages 1-3 and multi-head self-attention with a
learned relative-position bias in stage 4.

Two forms, as in the official repository: the classifier
(``gap_before_final_norm=True``: the head's BatchNorm1d on the pooled
features as ``norm3``, attention bias on the 4x4 grid of a 224 input) and
the dense-prediction backbone (no output norms, attention bias learned on a
14x14 grid and resized bicubically to every input, as the official
detection and segmentation code does).
"""
import itertools
import math
import re
from typing import List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from mmcnn.models.backbones.base import BackboneArgs, ConvNetBackbone
from mmcnn.models.backbones.checkpoint_keys import KeyTable
from mmcnn.models.layers import (ConvBN, Reparameterizable, conv_from_kernel,
                                 merge_kernel)
from mmcnn.registry import MODELS
from .ska import ska


def fold_conv_bns(module: nn.Module) -> None:
    """Replace, under ``module``, every child with a ``fused_conv()``
    (:class:`ConvBN`, :class:`RepDWConv`) by that eval-mode fold."""
    for name, child in module.named_children():
        if callable(getattr(child, 'fused_conv', None)):
            setattr(module, name, child.fused_conv())
        else:
            fold_conv_bns(child)


class FoldableSequential(Reparameterizable, nn.Sequential):
    """An ``nn.Sequential`` of conv-BN units whose deploy form folds each
    BN into its conv (the stem and the downsampling layers)."""

    def reparameterize(self) -> None:
        fold_conv_bns(self)


class RepDWConv(nn.Module):
    """``BN(DW3x3(x)) + BN(DW1x1(x)) + x``, ``(N, C, H, W) -> (N, C, H, W)``;
    :meth:`fused_conv` is the one biased depth-wise 3x3 conv it equals."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = ConvBN(channels, channels, 3, groups=channels)
        self.conv1 = ConvBN(channels, channels, 1, groups=channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x) + self.conv1(x) + x

    def fused_conv(self) -> nn.Conv2d:
        kernel, bias = self.conv.fused_kernel_bias()
        small, small_bias = self.conv1.fused_kernel_bias()
        identity = torch.zeros_like(kernel)
        identity[:, :, 1, 1] = 1
        return conv_from_kernel(self.conv.conv,
                                merge_kernel(kernel, small) + identity,
                                bias + small_bias)


class SqueezeExcite(nn.Module):
    """``x * sigmoid(fc2(ReLU(fc1(GAP(x)))))`` with ``C / 4`` hidden
    channels (timm's ``SqueezeExcite(C, 0.25)``, its keys)."""

    def __init__(self, channels: int, ratio: float = 0.25) -> None:
        super().__init__()
        hidden = max(8, int(channels * ratio + 4) // 8 * 8)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.fc2(F.relu(self.fc1(x.mean((2, 3), keepdim=True))))
        return x * scale.sigmoid()


class LargeKernelPerception(nn.Module):
    """LKP: the per-pixel SKA kernels ``(N, C / G, k_s^2, H, W)`` from
    ``(N, C, H, W)``: ``GN(conv1x1(ReLU(PW(DW_{k_l}(ReLU(PW(x)))))))`` with
    conv-BN units at ``C / 2`` channels and one group norm per kernel."""

    def __init__(self, channels: int, large_kernel: int, small_kernel: int,
                 groups: int) -> None:
        super().__init__()
        half = channels // 2
        self.cv1 = ConvBN(channels, half, 1)
        self.cv2 = ConvBN(half, half, large_kernel, groups=half)
        self.cv3 = ConvBN(half, half, 1)
        kernels = channels // groups
        self.cv4 = nn.Conv2d(half, small_kernel**2 * kernels, 1)
        self.norm = nn.GroupNorm(kernels, small_kernel**2 * kernels)
        self.kernels, self.taps = kernels, small_kernel**2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.cv3(self.cv2(F.relu(self.cv1(x)))))
        w = self.norm(self.cv4(x))
        n, _, h, width = w.shape
        return w.reshape(n, self.kernels, self.taps, h, width)


class LSConv(nn.Module):
    """LS convolution with its shortcut, ``x + BN(SKA(x, LKP(x)))``,
    ``(N, C, H, W) -> (N, C, H, W)`` (the paper's Eq. 3-5)."""

    def __init__(self, channels: int, large_kernel: int = 7,
                 small_kernel: int = 3, groups: int = 8) -> None:
        super().__init__()
        if channels % groups or channels % 2:
            raise ValueError(f'LS convolution needs channels ({channels}) '
                             f'divisible by 2 and by its groups ({groups}).')
        self.lkp = LargeKernelPerception(channels, large_kernel,
                                         small_kernel, groups)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(ska(x, self.lkp(x))) + x


def bias_indices(resolution: int) -> torch.Tensor:
    """``(R^2, R^2)`` index of the relative offset ``(|dy|, |dx|)`` of
    every pair of points of an ``R x R`` grid, numbered in order of first
    appearance (the official table layout)."""
    points = list(itertools.product(range(resolution), range(resolution)))
    offsets = {}
    index = [offsets.setdefault((abs(a[0] - b[0]), abs(a[1] - b[1])),
                                len(offsets))
             for a in points for b in points]
    return torch.tensor(index).view(len(points), len(points))


class Attention(nn.Module):
    """Multi-head self-attention with its shortcut, ``(N, C, H, W) ->
    (N, C, H, W)``: ``x + PW(ReLU(V softmax(Q^T K / sqrt(d) + B)^T))`` with
    ``Q`` passed through a depth-wise 3x3 conv-BN and ``B`` the learned
    bias of the relative offset on a ``resolution`` grid, resized
    bicubically to ``(HW, HW)`` when the input has another size."""

    def __init__(self, channels: int, key_dim: int, num_heads: int,
                 resolution: int) -> None:
        super().__init__()
        self.num_heads, self.key_dim = num_heads, key_dim
        self.scale = key_dim**-0.5
        self.value_dim = channels // num_heads
        qk = key_dim * num_heads
        self.qkv = ConvBN(channels, 2 * qk + channels, 1)
        self.dw = ConvBN(qk, qk, 3, groups=qk)
        self.proj = ConvBN(channels, channels, 1)
        nn.init.zeros_(self.proj.bn.weight)
        self.attention_biases = nn.Parameter(
            torch.zeros(num_heads, resolution * resolution))
        self.register_buffer('attention_bias_idxs', bias_indices(resolution))

    def position_bias(self, tokens: int) -> torch.Tensor:
        """The ``(heads, tokens, tokens)`` bias for ``tokens = H * W``
        (exported, always resized: at equal sizes the resize is the
        identity, and the branch would freeze at the traced size)."""
        bias = self.attention_biases[:, self.attention_bias_idxs]
        if bias.shape[-1] != tokens or torch.onnx.is_in_onnx_export():
            bias = F.interpolate(bias[None], size=(tokens, tokens),
                                 mode='bicubic')[0]
        return bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        qk = self.key_dim * self.num_heads
        q, k, v = self.qkv(x).split([qk, qk, x.shape[1]], dim=1)
        q = self.dw(q).reshape(n, self.num_heads, self.key_dim, h * w)
        k = k.reshape(n, self.num_heads, self.key_dim, h * w)
        v = v.reshape(n, self.num_heads, self.value_dim, h * w)
        attn = (q.transpose(-2, -1) @ k) * self.scale
        attn = (attn + self.position_bias(h * w)).softmax(dim=-1)
        out = (v @ attn.transpose(-2, -1)).reshape(n, -1, h, w)
        return x + self.proj(F.relu(out))


class FFN(nn.Module):
    """``PW(ReLU(PW(x)))`` with conv-BN units, ``C -> hidden -> C``."""

    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.pw1 = ConvBN(channels, hidden, 1)
        self.pw2 = ConvBN(hidden, channels, 1)
        nn.init.zeros_(self.pw2.bn.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pw2(F.relu(self.pw1(x)))


class LSBlock(Reparameterizable):
    """One LSNet block, ``y = z + FFN(z)`` with ``z = SE(mixer(x))``;
    the mixer (shortcut included) is :class:`RepDWConv` (with SE) for
    ``kind='rep'``, :class:`LSConv` for ``'ls'``, :class:`Attention` for
    ``'attn'``. The deploy form folds every conv-BN."""

    def __init__(self, channels: int, kind: str, key_dim: int = 16,
                 num_heads: int = 4, resolution: int = 14,
                 large_kernel: int = 7, small_kernel: int = 3,
                 ska_groups: int = 8) -> None:
        super().__init__()
        self.se = nn.Identity()
        if kind == 'rep':
            self.mixer = RepDWConv(channels)
            self.se = SqueezeExcite(channels)
        elif kind == 'ls':
            self.mixer = LSConv(channels, large_kernel, small_kernel,
                                ska_groups)
        elif kind == 'attn':
            self.mixer = Attention(channels, key_dim, num_heads, resolution)
        else:
            raise ValueError(f"kind must be 'rep', 'ls' or 'attn', got "
                             f'{kind!r}.')
        self.ffn = FFN(channels, 2 * channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.se(self.mixer(x))
        return x + self.ffn(x)

    def reparameterize(self) -> None:
        fold_conv_bns(self)


def _official_block_key(match: re.Match) -> str:
    """``blocks{n}.{j}.`` -> ``downsample_layers.{n-1}.{j}.`` for the two
    downsampling units that open stages 2-4, else ``stages.{n-1}.{j'}.``
    with ``j'`` counted from the stage's first block."""
    stage, index = int(match.group(1)) - 1, int(match.group(2))
    if stage == 0:
        return f'stages.0.{index}.'
    if index < 2:
        return f'downsample_layers.{stage}.{index}.'
    return f'stages.{stage}.{index - 2}.'


@MODELS.register_module()
class LSNet(ConvNetBackbone):
    """LSNet backbone, ``(N, C_in, H, W)`` -> one ``(N, widths[i],
    ceil(H / 2^(i+3)), ceil(W / 2^(i+3)))`` map per stage in
    ``out_indices`` (``(N, widths[i])`` in the classifier form).

    Args:
        arch: ``'t'``, ``'s'``, ``'b'`` or a dict with ``widths``,
            ``depths`` and ``num_heads`` (one entry per stage).
        key_dim: query/key width per attention head.
        large_kernel: LKP's depth-wise kernel size.
        small_kernel: SKA's dynamic kernel size.
        ska_groups: channels sharing one dynamic kernel.
        attn_resolution: side of the grid the attention bias is learned
            on; None: 4 in the classifier form (a 224 input), 14 in the
            dense form (the official detection/segmentation backbone).
        gap_before_final_norm: the classifier form: pool, then the
            official head's BatchNorm1d (``norm3``).
        deploy: build the folded inference form.
        Others: as in :class:`ConvNetBackbone`.
    """

    arch_zoo = {
        't': dict(widths=[64, 128, 256, 384], depths=[0, 2, 8, 10],
                  num_heads=[3, 3, 3, 4]),
        's': dict(widths=[96, 192, 320, 448], depths=[1, 2, 8, 10],
                  num_heads=[3, 3, 3, 4]),
        'b': dict(widths=[128, 256, 384, 512], depths=[4, 6, 8, 10],
                  num_heads=[3, 3, 3, 4]),
    }
    arch_keys = ('widths', 'depths', 'num_heads')
    classifier_head_prefixes = ('head.l.', 'head_dist.')
    classifier_norm_prefixes = ('head.bn.', )
    classifier_form_arg = 'gap_before_final_norm'
    checkpoint_tables = (KeyTable(renames=(
        (r'^patch_embed\.', 'downsample_layers.0.'),
        (r'^blocks([1-4])\.(\d+)\.', _official_block_key),
        (r'\.(mixer|ffn)\.m\.', r'.\1.'),
        (r'\.proj\.1\.', '.proj.'),
        (r'\.c\.weight$', '.conv.weight'),
    ), when=('patch_embed.', )), )

    def __init__(self,
                 arch: Union[str, dict] = 't',
                 key_dim: int = 16,
                 large_kernel: int = 7,
                 small_kernel: int = 3,
                 ska_groups: int = 8,
                 attn_resolution: Optional[int] = None,
                 gap_before_final_norm: bool = False,
                 deploy: bool = False,
                 **common: BackboneArgs) -> None:
        common.setdefault('out_indices', (0, 1, 2, 3))
        super().__init__(arch=arch, **common)
        self.gap_before_final_norm = gap_before_final_norm
        widths = list(self.arch_settings['widths'])
        self.embed_dims = widths
        if attn_resolution is None:
            attn_resolution = 4 if gap_before_final_norm else 14
        stem = widths[0]
        self.downsample_layers = nn.ModuleList([FoldableSequential(
            ConvBN(self.in_channels, stem // 4, 3, 2), nn.ReLU(),
            ConvBN(stem // 4, stem // 2, 3, 2), nn.ReLU(),
            ConvBN(stem // 2, stem, 3, 2))])
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            self.downsample_layers.append(FoldableSequential(
                ConvBN(c_in, c_in, 3, 2, groups=c_in),
                ConvBN(c_in, c_out, 1)))
        last = self.num_stages - 1
        self.stages = nn.ModuleList()
        for i, (width, depth, heads) in enumerate(zip(
                widths, self.arch_settings['depths'],
                self.arch_settings['num_heads'])):
            mixer = 'attn' if i == last else 'ls'
            self.stages.append(nn.Sequential(*(LSBlock(
                width, 'rep' if j % 2 == 0 else mixer, key_dim, heads,
                attn_resolution, large_kernel, small_kernel, ska_groups)
                for j in range(depth))))
        if gap_before_final_norm and last in self.out_indices:
            self.add_module(f'norm{last}', nn.BatchNorm2d(widths[-1]))
        self.finish_init(deploy)

    def check_input(self, x: torch.Tensor, in_channels: int,
                    total_stride: int = 64) -> None:
        """LSNet's total stride is 64 (:meth:`ConvNetBackbone.check_input`)."""
        super().check_input(x, in_channels, total_stride)

    @classmethod
    def classifier_head_keys(cls) -> dict:
        """The official head's linear layer under mmpretrain's keys (its
        BatchNorm1d is ``norm3``)."""
        return {'head.l.weight': 'head.fc.weight',
                'head.l.bias': 'head.fc.bias'}

    @classmethod
    def adapt_tensor(cls, key: str, value: torch.Tensor,
                     shape: torch.Size) -> torch.Tensor:
        """Attention bias tables learned on another grid: resized
        bicubically (the official dense backbone's loader); their offset
        index rebuilt for the model's grid."""
        if key.endswith('attention_bias_idxs'):
            return bias_indices(math.isqrt(shape[0]))
        if key.endswith('attention_biases') and value.shape[0] == shape[0]:
            old, new = math.isqrt(value.shape[1]), math.isqrt(shape[1])
            return F.interpolate(value.reshape(1, -1, old, old),
                                 size=(new, new), mode='bicubic').reshape(
                                     shape)
        return value

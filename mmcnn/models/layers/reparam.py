"""Structural re-parameterisation: merging parallel conv branches.

A training-time block of parallel ``conv -> BN`` branches becomes one conv at
inference (RepVGG, RepLKNet, SLaK, UniRepLKNet): each branch's BN is folded
into its conv (:mod:`.fuse`), then the smaller (possibly dilated) kernels are
added into the centre of the largest. The helpers work on depth-wise and
dense kernels of shape ``(C_out, C_in / groups, kh, kw)``.
"""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from torch import nn

from .dwconv import DepthwiseConv2d
from .fuse import fold_output_bn

KernelBias = Tuple[torch.Tensor, torch.Tensor]


def pad_kernel(kernel: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Zero-pad an odd ``(kh, kw)`` kernel, centred, to ``size``.

    A centred ``kh x kw`` conv with padding ``(kh // 2, kw // 2)`` equals a
    ``size`` conv with padding ``(size[0] // 2, size[1] // 2)`` whose outer
    taps are zero.
    """
    kh, kw = kernel.shape[-2:]
    dh, dw = size[0] - kh, size[1] - kw
    if dh < 0 or dw < 0 or dh % 2 or dw % 2:
        raise ValueError(f'Cannot centre a {kh}x{kw} kernel in a '
                         f'{size[0]}x{size[1]} one (odd sizes, not larger).')
    return F.pad(kernel, [dw // 2, dw // 2, dh // 2, dh // 2])


def dilate_kernel(kernel: torch.Tensor, dilation: int) -> torch.Tensor:
    """The non-dilated equivalent of a dilated kernel.

    A ``k x k`` kernel with dilation ``r`` is a ``r * (k - 1) + 1`` kernel
    with ``r - 1`` zeros between neighbouring taps.
    """
    if dilation == 1:
        return kernel
    kh, kw = kernel.shape[-2:]
    out = kernel.new_zeros(*kernel.shape[:-2], dilation * (kh - 1) + 1,
                           dilation * (kw - 1) + 1)
    out[..., ::dilation, ::dilation] = kernel
    return out


def merge_kernel(large: torch.Tensor, small: torch.Tensor,
                 dilation: int = 1) -> torch.Tensor:
    """Add a (dilated) small kernel into the centre of a larger one."""
    return large + pad_kernel(dilate_kernel(small, dilation),
                              large.shape[-2:])


def _pair(value: Union[int, Sequence[int]]) -> Tuple[int, int]:
    if isinstance(value, int):
        return value, value
    return int(value[0]), int(value[1])


class Reparameterizable(nn.Module):
    """A module with a training form and an inference (deploy) form.

    ``deploy`` says which form the module is in: False until
    :meth:`switch_to_deploy` (or a constructor that builds the deploy form
    directly) sets it. Subclasses implement :meth:`reparameterize`.
    """

    deploy: bool = False

    def switch_to_deploy(self) -> None:
        """Fold into the deploy form (:meth:`reparameterize`), once."""
        if not self.deploy:
            self.reparameterize()
            self.deploy = True

    def reparameterize(self) -> None:
        """Replace the training-form layers by their eval-mode fold."""
        raise NotImplementedError


class ConvBN(nn.Module):
    """``act(BN(conv(x)))`` with a bias-free conv, ``(N, C_in, H, W) ->
    (N, C_out, H', W')``.

    Keys are ``conv.weight`` and ``bn.*``, the layout of RepVGG-style
    ``conv_bn`` sequentials. ``padding`` defaults to "same" (half the kernel
    in each direction, so non-square kernels are supported). A depth-wise
    conv (``groups == in_channels == out_channels``) is a
    :class:`DepthwiseConv2d`.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: Union[int, Sequence[int]],
                 stride: int = 1,
                 padding: Optional[Union[int, Sequence[int]]] = None,
                 dilation: int = 1,
                 groups: int = 1,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None) -> None:
        super().__init__()
        kernel_size = _pair(kernel_size)
        if padding is None:
            padding = (dilation * (kernel_size[0] - 1) // 2,
                       dilation * (kernel_size[1] - 1) // 2)
        if groups == in_channels == out_channels:
            self.conv = DepthwiseConv2d(in_channels, kernel_size, stride,
                                        padding, dilation, bias=False)
        else:
            self.conv = nn.Conv2d(in_channels, out_channels, kernel_size,
                                  stride=stride, padding=padding,
                                  dilation=dilation, groups=groups,
                                  bias=False)
        self.bn = build_norm_layer(norm_cfg or dict(type='BN'),
                                   out_channels)[1]
        self.act = (build_activation_layer(act_cfg)
                    if act_cfg is not None else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))

    def fused_conv(self) -> nn.Conv2d:
        """A biased ``nn.Conv2d`` equal to ``BN(conv(x))`` in eval mode."""
        return fold_output_bn(self.conv, self.bn)

    def fused_kernel_bias(self) -> KernelBias:
        """Kernel and bias of :meth:`fused_conv` (detached)."""
        conv = self.fused_conv()
        return conv.weight.detach(), conv.bias.detach()


def add_parallel_branch(kernel: torch.Tensor, bias: torch.Tensor,
                        branch: Optional[ConvBN]) -> KernelBias:
    """``kernel``/``bias`` of a depth-wise conv plus a parallel, smaller
    :class:`ConvBN` branch (folded in eval mode, its kernel zero-padded at
    the centre); unchanged when ``branch`` is None."""
    if branch is None:
        return kernel, bias
    small, small_bias = branch.fused_kernel_bias()
    return merge_kernel(kernel, small), bias + small_bias


def conv_from_kernel(like: nn.Conv2d, kernel: torch.Tensor,
                     bias: Optional[torch.Tensor]) -> nn.Conv2d:
    """A conv with ``like``'s stride, dilation and groups holding ``kernel``.

    The padding is "same" for the (possibly larger) new kernel; a
    depth-wise ``like`` gives a :class:`DepthwiseConv2d`.
    """
    kh, kw = kernel.shape[-2:]
    dh, dw = like.dilation
    padding = (dh * (kh - 1) // 2, dw * (kw - 1) // 2)
    if like.groups == like.in_channels == kernel.shape[0]:
        conv = DepthwiseConv2d(like.in_channels, (kh, kw), like.stride,
                               padding, like.dilation, bias is not None)
    else:
        conv = nn.Conv2d(like.in_channels, kernel.shape[0], (kh, kw),
                         stride=like.stride, padding=padding,
                         dilation=like.dilation, groups=like.groups,
                         bias=bias is not None)
    conv = conv.to(device=kernel.device, dtype=kernel.dtype)
    conv.weight.data.copy_(kernel.detach())
    if bias is not None:
        conv.bias.data.copy_(bias.detach())
    return conv

"""TinyNet: the smallest backbone on mmcnn's contract.

Each of its stages is a strided conv (the stem, 4x4 stride 4, or a 2x2
stride-2 downsampling) followed by ``depths[i]`` residual blocks
``x + ReLU(BN(conv3x3(x)))`` and an output batch norm ``norm{i}``, the
ConvNeXt layout :class:`~mmcnn.models.backbones.base.ConvNetBackbone`
runs by default. Everything else (``arch`` zoo and custom dicts,
``out_indices``, ``frozen_stages``, ``norm_eval``, ``init_cfg``,
``switch_to_deploy``) comes from the base class.
"""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from mmcnn.models.backbones.base import ConvNetBackbone
from mmcnn.models.layers import ConvBN, Reparameterizable
from mmcnn.registry import MODELS


class TinyBlock(Reparameterizable):
    """``x + ReLU(BN(conv3x3(x)))``, ``(N, C, H, W) -> (N, C, H, W)``; the
    deploy form folds the batch norm into the conv."""

    def __init__(self, channels: int, deploy: bool = False) -> None:
        super().__init__()
        self.deploy = deploy
        self.conv = (nn.Conv2d(channels, channels, 3, padding=1)
                     if deploy else ConvBN(channels, channels, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + F.relu(self.conv(x))

    def reparameterize(self) -> None:
        self.conv = self.conv.fused_conv()


@MODELS.register_module()
class TinyNet(ConvNetBackbone):
    """The example project's backbone, ``(N, C_in, H, W)`` -> one
    ``(N, widths[i], H / 2^(i+2), W / 2^(i+2))`` map per stage in
    ``out_indices``.

    Args:
        arch: ``'a'`` or a dict with ``widths`` and ``depths``.
        deploy: build the folded inference form (what
            :meth:`switch_to_deploy` produces).
        Others: as in :class:`ConvNetBackbone`.
    """

    arch_zoo = {'a': dict(widths=[8, 16, 32, 64], depths=[1, 1, 2, 1])}
    arch_keys = ('widths', 'depths')

    def __init__(self,
                 arch: Union[str, dict] = 'a',
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 frozen_stages: int = 0,
                 norm_eval: bool = False,
                 deploy: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(arch=arch, out_indices=out_indices,
                         frozen_stages=frozen_stages, norm_eval=norm_eval,
                         init_cfg=init_cfg)
        self.in_channels = in_channels
        self.deploy = deploy
        widths = self.arch_settings['widths']
        inputs = [in_channels] + widths[:-1]
        self.downsample_layers = nn.ModuleList(
            nn.Conv2d(c_in, c_out, 4 if i == 0 else 2, 4 if i == 0 else 2)
            for i, (c_in, c_out) in enumerate(zip(inputs, widths)))
        self.stages = nn.ModuleList(
            nn.Sequential(*(TinyBlock(width, deploy) for _ in range(depth)))
            for width, depth in zip(widths, self.arch_settings['depths']))
        for i in self.out_indices:
            self.add_module(f'norm{i}', nn.BatchNorm2d(widths[i]))
        self._freeze_stages()

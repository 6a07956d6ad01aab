"""LSNetFPN: mmdet's FPN with extra finer levels from transposed convs.

LSNet's stages sit at strides 8-64, so the official Mask R-CNN adds one
stride-4 level: ``conv3x3(deconv2x2(L_0))``, ``L_0`` being the finest lateral
after the top-down pass, put in front of the FPN levels.
"""
from typing import List, Tuple

import torch
from mmcv.cnn import ConvModule
from mmdet.models.necks import FPN
from torch import nn

from mmcnn.registry import MODELS


@MODELS.register_module()
class LSNetFPN(FPN):
    """FPN whose ``num_outs`` levels are ``num_extra_trans_convs`` finer
    ones (each a 2x2 stride-2 transposed conv of the previous finer
    lateral, then a 3x3 conv) followed by :class:`FPN`'s
    ``num_outs - num_extra_trans_convs`` levels; ``(N, C_i, H_i, W_i)``
    maps -> ``num_outs`` maps of ``out_channels``."""

    def __init__(self, in_channels: List[int], out_channels: int,
                 num_outs: int, num_extra_trans_convs: int = 0,
                 **kwargs) -> None:
        if not 0 <= num_extra_trans_convs < num_outs:
            raise ValueError(
                f'num_extra_trans_convs={num_extra_trans_convs} must be in '
                f'0..num_outs-1 ({num_outs - 1}).')
        super().__init__(in_channels, out_channels,
                         num_outs - num_extra_trans_convs, **kwargs)
        norm_cfg = kwargs.get('norm_cfg')
        self.extra_trans_convs = nn.ModuleList()
        for _ in range(num_extra_trans_convs):
            # a ConvModule around a transposed conv: the official keys
            trans = ConvModule(out_channels, out_channels, 2, stride=2,
                               norm_cfg=norm_cfg,
                               act_cfg=kwargs.get('act_cfg'), inplace=False)
            trans.conv = nn.ConvTranspose2d(out_channels, out_channels, 2,
                                            stride=2, bias=trans.with_bias)
            self.extra_trans_convs.append(trans)
        self.extra_fpn_convs = nn.ModuleList(
            ConvModule(out_channels, out_channels, 3, padding=1,
                       norm_cfg=norm_cfg, act_cfg=kwargs.get('act_cfg'),
                       inplace=False)
            for _ in range(num_extra_trans_convs))
        self._finest: List[torch.Tensor] = []
        if num_extra_trans_convs:
            self.fpn_convs[0].register_forward_pre_hook(self._keep_finest)

    def _keep_finest(self, module: nn.Module, args: tuple) -> None:
        """Record the finest lateral after the top-down pass (the input
        of the first output conv)."""
        self._finest.append(args[0])

    def forward(self, inputs: Tuple[torch.Tensor, ...]) -> tuple:
        self._finest.clear()
        outs = super().forward(inputs)
        if not self.extra_trans_convs:
            return outs
        finer, lateral = [], self._finest.pop()
        for trans, conv in zip(self.extra_trans_convs, self.extra_fpn_convs):
            lateral = trans(lateral)
            finer.insert(0, conv(lateral))
        return tuple(finer) + tuple(outs)

"""mmpretrain's SparK with encoder-decoder bridges sized by the backbone.

mmpretrain's :class:`~mmpretrain.models.SparK` sizes the norm, mask token
and projection of each scale by halving ``enc_dec_norm_dim``, which fits
backbones whose widths double at every stage (ResNet, ConvNeXt). Several
mmcnn families do not (MogaNet-XT: 32, 64, 96, 192; VAN-B0: 32, 64, 160,
256; PoolFormer: 64, 128, 320, 512), so :class:`ConvNetSparK` rebuilds
those three per-scale parts from the widths the backbone actually outputs;
masking, decoder, loss and training step are mmpretrain's.
"""
from typing import List

import torch
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models import SparK
from mmpretrain.models.utils.norm import build_norm_layer
from torch import nn

from mmcnn.registry import MODELS
from .sparse import active_patches


@MODELS.register_module()
class ConvNetSparK(SparK):
    """SparK (Tian et al., ICLR 2023) for any mmcnn backbone converted by
    ``type='mmcnn.SparseBackbone'``; arguments as mmpretrain's ``SparK``
    (``enc_dec_norm_dim`` is ignored: each scale's norm has its stage's
    width)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.enc_dec_norms = nn.ModuleList()
        self.enc_dec_projectors = nn.ModuleList()
        self.mask_tokens = nn.ParameterList()
        proj_out_dim = self.neck.feature_dim
        for i, width in enumerate(reversed(self.stage_widths())):
            self.enc_dec_norms.append(
                build_norm_layer(self.enc_dec_norm_cfg, width))
            kernel_size = 1 if i == 0 else 3
            self.enc_dec_projectors.append(
                nn.Identity() if i == 0 and width == proj_out_dim else
                nn.Conv2d(width, proj_out_dim, kernel_size,
                          padding=kernel_size // 2))
            token = nn.Parameter(torch.zeros(1, width, 1, 1))
            trunc_normal_(token, mean=0, std=.02, a=-.02, b=.02)
            self.mask_tokens.append(token)
            proj_out_dim //= 2

    @torch.no_grad()
    def stage_widths(self) -> List[int]:
        """The channels of the backbone's outputs, shallowest first (one
        forward of a blank image, all patches active, in eval mode)."""
        size = self.input_size
        image = torch.zeros(1, self.backbone.in_channels, size, size)
        side = self.feature_map_size
        mode = self.backbone.training
        self.backbone.eval()
        with active_patches(torch.ones(1, 1, side, side, dtype=torch.bool)):
            widths = [out.shape[1] for out in self.backbone(image)]
        self.backbone.train(mode)
        if len(widths) != 4:
            raise ValueError(
                f'SparK decodes four scales; the backbone returns '
                f'{len(widths)}: set its out_indices=(0, 1, 2, 3).')
        return widths

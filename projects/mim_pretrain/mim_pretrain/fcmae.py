"""FCMAE (ConvNeXt V2, Woo et al., CVPR 2023, Sec. 3) on mmcnn's backbones.

The encoder is the sparse backbone of :mod:`.sparse` (the same conversion
and mask state as SparK) on the image's visible 32x32 patches; the decoder
(:class:`FCMAEDecoder`) reads the last stage only; the target and loss are
mmpretrain's ``SparKPretrainHead``: MSE on the masked patches against
per-patch normalised pixels, as in FCMAE.
"""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.models import SparK
from mmpretrain.models.selfsup.base import BaseSelfSupervisor
from mmpretrain.structures import DataSample
from torch import nn

from mmcnn.models.backbones.convnext import ConvNeXtBlock
from mmcnn.registry import MODELS
from .sparse import active_patches


@MODELS.register_module()
class FCMAEDecoder(BaseModule):
    """FCMAE's decoder: a 1x1 projection to ``embed_dims``, the mask token
    at the masked positions, one ConvNeXt V2 block, and a 1x1 prediction of
    every patch's pixels, rearranged into an image, ``(B, C, f, f) ->
    (B, out_channels, f * patch_size, f * patch_size)``."""

    def __init__(self,
                 in_channels: int,
                 embed_dims: int = 512,
                 patch_size: int = 32,
                 out_channels: int = 3,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_channels, embed_dims, 1)
        self.mask_token = nn.Parameter(torch.zeros(1, embed_dims, 1, 1))
        nn.init.trunc_normal_(self.mask_token, std=.02)
        self.block = ConvNeXtBlock(
            embed_dims, layer_scale_init_value=0., use_grn=True)
        self.pred = nn.Conv2d(embed_dims, patch_size**2 * out_channels, 1)

    def forward(self, x: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
        """Decode the last stage ``x`` with the ``(B, 1, f, f)`` mask of
        active patches."""
        x = self.proj(x)
        x = torch.where(active, x, self.mask_token.to(x.dtype))
        return F.pixel_shuffle(self.pred(self.block(x)), self.patch_size)


@MODELS.register_module()
class ConvNetFCMAE(BaseSelfSupervisor):
    """FCMAE pre-training: the backbone (``type='mmcnn.SparseBackbone'``)
    encodes the visible patches and its last output is decoded; ``neck``
    is an :class:`FCMAEDecoder`, ``head`` mmpretrain's
    ``SparKPretrainHead``.
    Masks are drawn by mmpretrain's ``SparK.mask``: ``mask_ratio`` of the
    ``(input_size / patch_size)^2`` patches, uniformly."""

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 input_size: int = 224,
                 patch_size: int = 32,
                 mask_ratio: float = 0.6,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if input_size % patch_size:
            raise ValueError(f'input_size {input_size} must be a multiple '
                             f'of patch_size {patch_size}.')
        self.input_size = input_size
        self.feature_map_size = input_size // patch_size
        self.len_keep = round(self.feature_map_size**2 * (1 - mask_ratio))

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """The reconstruction loss of one batch under a fresh mask."""
        active = SparK.mask(self, inputs.shape, inputs.device)
        with active_patches(active):
            feature = self.backbone(inputs)[-1]
        prediction = self.neck(feature, active)
        return dict(loss=self.head(prediction, inputs, active))

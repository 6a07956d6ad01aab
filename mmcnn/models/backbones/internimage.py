"""InternImage: large vision foundation models with deformable convolutions.

Wang et al., "InternImage: Exploring Large-Scale Vision Foundation Models
with Deformable Convolutions", CVPR 2023 (arXiv:2211.05778). The blocks
mix space with :class:`~mmcnn.models.layers.DCNv3` and work on
channels-last ``(N, H, W, C)`` maps; stage outputs are returned as
``(N, C, H, W)``. Official checkpoints (OpenGVLab/InternImage, classification
and detection) load through :meth:`InternImage.checkpoint_filter`.
"""
from typing import Dict, List, Optional, Sequence, Union, Unpack

import torch
from torch import nn

from mmcnn.registry import MODELS
from ..layers import (DCNv3, LayerNorm2d, Mlp, build_drop_path,
                      checkpointed, drop_path_rates, residual_add)
from ..layers.fuse import fold_output_affine, fold_scale_into_norm
from ..layers.init import init_linear_layer_norm
from .base import BackboneArgs, ConvNetBackbone
from .checkpoint_keys import KeyTable


def _layer_norm(channels: int) -> nn.LayerNorm:
    return nn.LayerNorm(channels, eps=1e-6)


class StemLayer(nn.Module):
    """Stem, ``(N, C_in, H, W) -> (N, H/4, W/4, C)``.

    ``LN(conv2(GELU(LN(conv1(x)))))`` with 3x3 stride-2 convs to C/2 and C
    channels.
    """

    def __init__(self, in_channels: int, embed_dims: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, embed_dims // 2, 3, 2, 1)
        self.norm1 = LayerNorm2d(embed_dims // 2)
        self.act = nn.GELU()
        self.conv2 = nn.Conv2d(embed_dims // 2, embed_dims, 3, 2, 1)
        self.norm2 = _layer_norm(embed_dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv2(self.act(self.norm1(self.conv1(x))))
        return self.norm2(x.permute(0, 2, 3, 1))


class DownsampleLayer(nn.Module):
    """Downsampling, ``(N, H, W, C_in) -> (N, H/2, W/2, C_out)``.

    A 3x3 stride-2 conv without bias followed by LN.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, 2, 1, bias=False)
        self.norm = _layer_norm(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x.permute(0, 3, 1, 2))
        return self.norm(x.permute(0, 2, 3, 1))


class InternImageBlock(nn.Module):
    """One InternImage layer, ``(N, H, W, C) -> (N, H, W, C)``.

    Two residual branches, ``F = DCNv3`` with ``norm1`` and the
    channels-last MLP ``F = fc2(GELU(fc1(x)))`` with ``norm2``, each
    ``x + DropPath(gamma * y)`` where ``y`` is ``F(norm(x))`` (pre-norm,
    InternImage-T), ``norm(F(x))`` (``post_norm``, S/B/L/XL/G) or
    ``res_post_norm(F(norm(x)))`` (H); ``gamma`` is the optional layer
    scale.
    """

    def __init__(self,
                 channels: int,
                 groups: int,
                 mlp_ratio: float = 4.,
                 drop_path_rate: float = 0.,
                 layer_scale: Optional[float] = None,
                 offset_scale: float = 1.,
                 post_norm: bool = False,
                 res_post_norm: bool = False,
                 dw_kernel_size: Optional[int] = None,
                 center_feature_scale: bool = False) -> None:
        super().__init__()
        if res_post_norm and (post_norm or layer_scale is not None):
            raise ValueError(
                'InternImage res_post_norm is used without post_norm and '
                'without layer_scale (InternImage-H).')
        self.post_norm = post_norm
        self.norm1 = _layer_norm(channels)
        self.dcn = DCNv3(channels, groups, 3, dw_kernel_size, offset_scale,
                         center_feature_scale)
        self.norm2 = _layer_norm(channels)
        self.mlp = Mlp(channels, int(channels * mlp_ratio),
                       channels_last=True)
        self.drop_path = build_drop_path(drop_path_rate)
        self.layer_scale = layer_scale is not None
        if self.layer_scale:
            self.gamma1 = nn.Parameter(torch.full((channels, ), layer_scale))
            self.gamma2 = nn.Parameter(torch.full((channels, ), layer_scale))
        self.res_post_norm = res_post_norm
        if res_post_norm:
            self.res_post_norm1 = _layer_norm(channels)
            self.res_post_norm2 = _layer_norm(channels)

    def _residual(self, x: torch.Tensor, branch: nn.Module, norm: nn.Module,
                  index: int) -> torch.Tensor:
        if self.post_norm:
            y = norm(branch(x))
        else:
            y = branch(norm(x))
            if self.res_post_norm:
                y = getattr(self, f'res_post_norm{index}')(y)
        if self.layer_scale:
            y = getattr(self, f'gamma{index}') * y
        return residual_add(x, self.drop_path(y))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self._residual(x, self.dcn, self.norm1, 1)
        return self._residual(x, self.mlp, self.norm2, 2)

    def switch_to_deploy(self) -> None:
        """Fold the layer scales into the layer that precedes them (the
        post-norms' affines, else ``dcn.output_proj`` and ``mlp.fc2``);
        drop path is dropped."""
        if self.layer_scale:
            if self.post_norm:
                self.norm1 = fold_scale_into_norm(self.norm1, self.gamma1)
                self.norm2 = fold_scale_into_norm(self.norm2, self.gamma2)
            else:
                self.dcn.output_proj = fold_output_affine(
                    self.dcn.output_proj, self.gamma1)
                self.mlp.fc2 = fold_output_affine(self.mlp.fc2, self.gamma2)
            del self.gamma1, self.gamma2
            self.layer_scale = False
        self.drop_path = nn.Identity()


class InternImageStage(nn.Module):
    """A stage, ``(N, H, W, C_in) -> (N, H', W', C)``.

    The optional downsampling, the blocks (with an extra LN after the
    blocks listed in ``post_norm_block_ids``, InternImage-H/G) and the
    closing LN (absent in post-norm models, except with
    ``center_feature_scale``).
    """

    def __init__(self,
                 channels: int,
                 depth: int,
                 groups: int,
                 in_channels: Optional[int] = None,
                 drop_path_rates: Sequence[float] = (),
                 with_norm: bool = True,
                 post_norm_block_ids: Sequence[int] = (),
                 with_cp: bool = False,
                 **block_kwargs) -> None:
        super().__init__()
        self.downsample = (DownsampleLayer(in_channels, channels)
                           if in_channels is not None else None)
        rates = list(drop_path_rates) or [0.] * depth
        self.blocks = nn.ModuleList(
            InternImageBlock(channels, groups, drop_path_rate=rates[i],
                             **block_kwargs) for i in range(depth))
        self.post_norm_index = {block: i for i, block in enumerate(
            post_norm_block_ids)}
        if post_norm_block_ids:
            self.post_norms = nn.ModuleList(
                _layer_norm(channels) for _ in post_norm_block_ids)
        self.norm = _layer_norm(channels) if with_norm else nn.Identity()
        self.with_cp = with_cp

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.downsample is not None:
            x = self.downsample(x)
        for i, block in enumerate(self.blocks):
            x = checkpointed(block, x, self.with_cp)
            if i in self.post_norm_index:
                x = self.post_norms[self.post_norm_index[i]](x)
        return self.norm(x)


def _arch(channels: int, depths: List[int], groups: List[int],
          **options) -> dict:
    return dict(embed_dims=[channels * 2**i for i in range(4)],
                depths=depths, groups=groups, **options)


_POST_NORM = dict(layer_scale=1e-5, post_norm=True)


# The official InternImage keys -> mmcnn's: the ``nn.Sequential`` wrappers
# of the official norms are dropped (``norm1.0`` -> ``norm1``, ``dw_conv.0``
# -> ``dw_conv``, ``dw_conv.1.1`` -> ``dw_norm``, ...); ``levels.{i}``
# becomes ``stages.{i}``, and the downsampling that closes official level
# ``i`` opens stage ``i + 1``. Detection checkpoints need
# ``prefix='backbone.'`` in ``init_cfg``; mmcnn checkpoints (no ``levels.``)
# pass unchanged.
_OFFICIAL_KEYS = KeyTable((
    (r'^patch_embed\.norm([12])\.1\.', r'patch_embed.norm\1.'),
    (r'^levels\.(\d+)\.downsample\.norm\.1\.',
     r'levels.\1.downsample.norm.'),
    (r'(\.blocks\.\d+\.)(norm[12]|res_post_norm[12])\.0\.', r'\1\2.'),
    (r'\.dcn\.dw_conv\.0\.', r'.dcn.dw_conv.'),
    (r'\.dcn\.dw_conv\.1\.1\.', r'.dcn.dw_norm.'),
    (r'^levels\.(\d+)\.norm\.0\.', r'levels.\1.norm.'),
    (r'\.post_norms\.(\d+)\.0\.', r'.post_norms.\1.'),
    (r'^levels\.(\d+)\.downsample\.',
     lambda m: f'stages.{int(m.group(1)) + 1}.downsample.'),
    (r'^levels\.', 'stages.'),
), when=('levels.', ))


@MODELS.register_module()
class InternImage(ConvNetBackbone):
    """InternImage backbone.

    Stage ``i`` is ``stages.{i}``: the stem (``patch_embed``, stride 4) or
    a downsampling layer (stride 2), the DCNv3 blocks and the closing norm;
    its output has stride ``2 ** (i + 2)`` and ``embed_dims[i]`` channels.

    The per-variant options of the official configs are part of the arch:
    ``mlp_ratio`` (4), ``offset_scale`` (1; 2 for L/XL), ``layer_scale``
    (None; 1e-5 for S/B/L/XL), ``post_norm`` (S/B/L/XL/G), and for H/G
    ``dw_kernel_size=5``, ``res_post_norm`` (H),
    ``level2_post_norm_block_ids`` (extra LNs in stage 3) and
    ``center_feature_scale``. InternImage has no batch norm in the
    backbone, so ``norm_eval`` finds nothing to keep in eval mode.

    Args (the common ones as in :class:`ConvNetBackbone`):
        arch: a name from ``arch_zoo`` or a dict with ``embed_dims``,
            ``depths`` and ``groups`` (one entry per stage) and any of the
            options above.
        init_cfg: initialisation, e.g. ``dict(type='Pretrained',
            checkpoint='internimage_t_1k_224.pth')``.
    """

    arch_zoo = {
        **dict.fromkeys(['t', 'tiny'],
                        _arch(64, [4, 4, 18, 4], [4, 8, 16, 32])),
        **dict.fromkeys(['s', 'small'],
                        _arch(80, [4, 4, 21, 4], [5, 10, 20, 40],
                              **_POST_NORM)),
        **dict.fromkeys(['b', 'base'],
                        _arch(112, [4, 4, 21, 4], [7, 14, 28, 56],
                              **_POST_NORM)),
        **dict.fromkeys(['l', 'large'],
                        _arch(160, [5, 5, 22, 5], [10, 20, 40, 80],
                              offset_scale=2., **_POST_NORM)),
        **dict.fromkeys(['xl', 'x-large', 'xlarge'],
                        _arch(192, [5, 5, 24, 5], [12, 24, 48, 96],
                              offset_scale=2., **_POST_NORM)),
        **dict.fromkeys(['h', 'huge'],
                        _arch(320, [6, 6, 32, 6], [10, 20, 40, 80],
                              dw_kernel_size=5, res_post_norm=True,
                              level2_post_norm_block_ids=[5, 11, 17, 23, 29],
                              center_feature_scale=True)),
        **dict.fromkeys(['g', 'giant'],
                        _arch(512, [2, 2, 48, 4], [16, 32, 64, 128],
                              dw_kernel_size=5, post_norm=True,
                              level2_post_norm_block_ids=list(
                                  range(5, 48, 6)),
                              center_feature_scale=True)),
    }
    arch_keys = ('embed_dims', 'depths', 'groups')
    paramwise_cfg = dict(
        norm_decay_mult=0., bias_decay_mult=0., flat_decay_mult=0.)
    stem_name = 'patch_embed'
    stage_names = ('stages.{i}', )
    output_norm_name = None
    channels_last_maps = True
    arch_options: Dict[str, object] = dict(
        mlp_ratio=4., offset_scale=1., layer_scale=None, post_norm=False,
        res_post_norm=False, dw_kernel_size=None,
        level2_post_norm_block_ids=None, center_feature_scale=False)

    def __init__(self,
                 arch: Union[str, dict] = 'tiny',
                 *,
                 drop_path_rate: float = 0.,
                 with_cp: bool = False,
                 deploy: bool = False,
                 **common: Unpack[BackboneArgs]) -> None:
        super().__init__(arch, **common)
        unknown = set(self.arch_settings) - set(self.arch_keys) - set(
            self.arch_options)
        if unknown:
            raise KeyError(
                f'Unknown InternImage arch options {sorted(unknown)}; valid '
                f'are {sorted(self.arch_options)}.')
        options = {**self.arch_options, **self.arch_settings}
        self.embed_dims = list(options['embed_dims'])
        self.depths = list(options['depths'])
        self.groups = list(options['groups'])
        bad = [(w, g) for w, g in zip(self.embed_dims, self.groups) if w % g]
        if bad:
            raise ValueError(
                f'InternImage widths must be divisible by their DCNv3 groups; '
                f'{bad} (width, groups) are not.')
        block_kwargs = {k: options[k] for k in (
            'mlp_ratio', 'layer_scale', 'offset_scale', 'post_norm',
            'res_post_norm', 'dw_kernel_size', 'center_feature_scale')}
        with_norm = (not options['post_norm'] or
                     options['center_feature_scale'])
        rates = drop_path_rates(drop_path_rate, sum(self.depths))
        level2_post_norms = options['level2_post_norm_block_ids'] or ()
        self.patch_embed = StemLayer(self.in_channels, self.embed_dims[0])
        self.stages = nn.ModuleList()
        for i, (width, depth) in enumerate(zip(self.embed_dims,
                                               self.depths)):
            start = sum(self.depths[:i])
            self.stages.append(InternImageStage(
                width, depth, self.groups[i],
                in_channels=self.embed_dims[i - 1] if i else None,
                drop_path_rates=rates[start:start + depth],
                with_norm=with_norm,
                post_norm_block_ids=level2_post_norms if i == 2 else (),
                with_cp=with_cp,
                **block_kwargs))
        self.finish_init(deploy)

    def init_from_scratch(self) -> None:
        """Official init: Linear ~ TN(0.02), LN to identity, DCNv3's own."""
        init_linear_layer_norm(self)
        for m in self.modules():
            if isinstance(m, DCNv3):
                m.reset_parameters()

    classifier_head_prefixes = ('head.', 'conv_head.', 'fc_norm.',
                                'clip_projector.', 'dcnv3_head_x3.',
                                'dcnv3_head_x4.')
    # The official conv head before the pooling: 1.5x the channels.
    classifier_head = dict(conv_scale=1.5)
    checkpoint_tables = (_OFFICIAL_KEYS, )

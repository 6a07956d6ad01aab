"""InternImage backbone: sizes, variants, block forms, checkpoints (the
backbone contract: test_contract.py)."""
import re

import pytest
import torch
from _helpers import count_params
from torch import nn

from mmcnn.models import InternImage
from mmcnn.models.backbones.internimage import InternImageBlock

# Published parameter counts (README / paper), classifier included.
PUBLISHED = {'t': 30e6, 's': 50e6, 'b': 97e6, 'l': 223e6, 'xl': 335e6,
             'h': 1.08e9, 'g': 3e9}
# Decimal places of the published figures in units of 1e6 (T-XL) and 1e9.
PRECISION = {'t': (1e6, 0), 's': (1e6, 0), 'b': (1e6, 0), 'l': (1e6, 0),
             'xl': (1e6, 0), 'g': (1e9, 0)}

# Small variants of the official options, for fast tests.
TINY = dict(embed_dims=[16, 32, 64, 128], depths=[1, 1, 3, 1],
            groups=[2, 4, 8, 16])
TINY_POST = dict(TINY, layer_scale=1e-5, post_norm=True, offset_scale=2.)
TINY_HUGE = dict(TINY, dw_kernel_size=5, res_post_norm=True,
                 level2_post_norm_block_ids=[0, 2],
                 center_feature_scale=True)
TINY_GIANT = dict(TINY, dw_kernel_size=5, post_norm=True,
                  level2_post_norm_block_ids=[1],
                  center_feature_scale=True)


def classifier_params(arch: str) -> int:
    """Parameters of the official classification heads.

    T-XL: ``conv_head`` (1x1 conv C4 -> 1.5 C4 without bias, BN, GELU),
    average pooling and ``head`` (Linear 1.5 C4 -> 1000). H/G: the CLIP
    projector: ``dcnv3_head_x4`` (1x1 conv C4 -> 4096, pixel shuffle),
    ``dcnv3_head_x3`` (1x1 conv C4/2 -> 1024), attention pooling over 1024
    channels (three LNs, q/k/v without bias plus separate q/k/v biases,
    projection to 768), ``fc_norm`` (LN 768) and ``head`` (768 -> 1000).
    """
    width = InternImage.arch_zoo[arch]['embed_dims'][-1]
    if arch in ('h', 'g'):
        dim, out = 1024, 768
        return (width * 4 * dim + 4 * dim + width // 2 * dim + dim +
                3 * 2 * dim + 3 * dim * dim + 3 * dim + dim * out + out +
                2 * out + out * 1000 + 1000)
    hidden = int(width * 1.5)
    return width * hidden + 2 * hidden + hidden * 1000 + 1000


@pytest.mark.parametrize('arch', list(PUBLISHED))
def test_param_counts_match_published(arch):
    with torch.device('meta'):
        model = InternImage(arch=arch)
    total = count_params(model) + classifier_params(arch)
    if arch in PRECISION:
        unit, digits = PRECISION[arch]
        assert round(total / unit, digits) == round(PUBLISHED[arch] / unit,
                                                    digits)
    else:
        # InternImage-H: 1.0896e9 with the CLIP-projector head, published
        # as 1.08B.
        assert abs(total - PUBLISHED[arch]) / PUBLISHED[arch] < 0.01


def test_odd_input_size():
    model = InternImage(arch=TINY, out_indices=(0, 3)).eval()
    outs = model(torch.randn(1, 3, 67, 45))
    assert [tuple(o.shape) for o in outs] == [(1, 16, 17, 12),
                                              (1, 128, 3, 2)]
    assert all(o.is_contiguous() for o in outs)


def test_variant_structure():
    small = InternImage(arch='s')
    block = small.stages[2].blocks[0]
    assert block.post_norm and block.gamma1[0].item() == pytest.approx(1e-5)
    assert all(isinstance(s.norm, nn.Identity) for s in small.stages)
    large = InternImage(arch=TINY_POST)
    assert large.stages[0].blocks[0].dcn.offset_scale == 2.
    huge = InternImage(arch=TINY_HUGE)
    assert huge.stages[2].blocks[0].dcn.dw_conv.kernel_size == (5, 5)
    assert len(huge.stages[2].post_norms) == 2
    assert not hasattr(huge.stages[1], 'post_norms')
    assert isinstance(InternImage(arch=TINY_GIANT).stages[0].norm,
                      nn.LayerNorm)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm)
                   for m in InternImage(arch=TINY).modules())


def test_block_residual_forms():
    torch.manual_seed(0)
    x = torch.randn(1, 5, 6, 16)
    pre = InternImageBlock(16, 2).eval()
    y = x + pre.dcn(pre.norm1(x))
    torch.testing.assert_close(pre(x), y + pre.mlp(pre.norm2(y)))
    post = InternImageBlock(16, 2, layer_scale=0.5, post_norm=True).eval()
    y = x + post.gamma1 * post.norm1(post.dcn(x))
    torch.testing.assert_close(post(x),
                               y + post.gamma2 * post.norm2(post.mlp(y)))
    res = InternImageBlock(16, 2, res_post_norm=True).eval()
    for norm in (res.res_post_norm1, res.res_post_norm2):
        nn.init.normal_(norm.weight)
    y = x + res.res_post_norm1(res.dcn(res.norm1(x)))
    torch.testing.assert_close(
        res(x), y + res.res_post_norm2(res.mlp(res.norm2(y))))


def test_arch_option_errors():
    with pytest.raises(KeyError, match='arch options'):
        InternImage(arch=dict(TINY, core_op='DCNv4'))
    with pytest.raises(ValueError, match='divisible by their DCNv3 groups'):
        InternImage(arch=dict(TINY, groups=[3, 4, 8, 16]))
    with pytest.raises(ValueError, match='res_post_norm'):
        InternImage(arch=dict(TINY, res_post_norm=True, post_norm=True))


def official_key(key: str) -> str:
    """The official classification key of an mmcnn key."""
    key = re.sub(r'^stages\.(\d+)\.downsample\.',
                 lambda m: f'levels.{int(m.group(1)) - 1}.downsample.', key)
    key = re.sub(r'^stages\.', 'levels.', key)
    for pattern, replacement in [
            (r'^patch_embed\.norm([12])\.', r'patch_embed.norm\1.1.'),
            (r'\.downsample\.norm\.', '.downsample.norm.1.'),
            (r'(\.blocks\.\d+)\.(norm[12]|res_post_norm[12])\.',
             r'\1.\2.0.'),
            (r'\.dcn\.dw_conv\.', '.dcn.dw_conv.0.'),
            (r'\.dcn\.dw_norm\.', '.dcn.dw_conv.1.1.'),
            (r'^(levels\.\d+)\.norm\.', r'\1.norm.0.'),
            (r'\.post_norms\.(\d+)\.', r'.post_norms.\1.0.')]:
        key = re.sub(pattern, replacement, key)
    return key


def official_state_dict(model: InternImage) -> dict:
    """A random state dict in the official classification key layout."""
    state = {official_key(k): torch.randn_like(v)
             for k, v in model.state_dict().items()}
    width = model.embed_dims[-1]
    hidden = int(width * 1.5)
    state.update({
        'conv_head.0.weight': torch.randn(hidden, width, 1, 1),
        'conv_head.1.0.weight': torch.randn(hidden),
        'conv_head.1.0.running_mean': torch.randn(hidden),
        'head.weight': torch.randn(1000, hidden),
        'head.bias': torch.randn(1000),
    })
    return state


@pytest.mark.parametrize('arch', [TINY, TINY_POST, TINY_HUGE])
def test_official_checkpoint_loads_through_init_cfg(tmp_path, arch):
    import argparse
    state = official_state_dict(InternImage(arch=arch))
    assert {'patch_embed.norm1.1.weight', 'levels.0.downsample.conv.weight',
            'levels.2.downsample.norm.1.bias',
            'levels.3.blocks.0.dcn.dw_conv.1.1.weight',
            'levels.1.blocks.0.norm2.0.bias'} <= set(state)
    path = tmp_path / 'internimage_tiny_1k_224.pth'
    torch.save({'model': state, 'epoch': 299,
                'config': argparse.Namespace(model='internimage')}, path)
    model = InternImage(arch=arch, init_cfg=dict(
        type='Pretrained', checkpoint=str(path), strict=True))
    model.init_weights()
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[official_key(key)]), key


def test_detection_checkpoint_with_prefix(tmp_path):
    source = InternImage(arch=TINY_HUGE)
    state = {'backbone.' + k: v
             for k, v in official_state_dict(source).items()
             if not k.startswith(('head.', 'conv_head.'))}
    state['neck.fpn_convs.0.conv.weight'] = torch.randn(8, 8, 3, 3)
    path = tmp_path / 'dino_4scale_internimage_h.pth'
    torch.save({'state_dict': state, 'meta': {}}, path)
    model = InternImage(arch=TINY_HUGE, init_cfg=dict(
        type='Pretrained', checkpoint=str(path), prefix='backbone.',
        strict=True))
    model.init_weights()
    key = 'stages.2.post_norms.1.weight'
    assert torch.equal(model.state_dict()[key],
                       state['backbone.levels.2.post_norms.1.0.weight'])


def test_mmcnn_checkpoint_round_trip(tmp_path):
    source = InternImage(arch=TINY_POST)
    path = tmp_path / 'mmcnn.pth'
    torch.save({'state_dict': source.state_dict()}, path)
    model = InternImage(arch=TINY_POST, init_cfg=dict(
        type='Pretrained', checkpoint=str(path), strict=True))
    model.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key


def test_init_from_scratch_follows_official_recipe():
    model = InternImage(arch=TINY_POST)
    model.init_weights()
    dcn = model.stages[1].blocks[0].dcn
    assert not dcn.offset.weight.any() and not dcn.mask.weight.any()
    assert model.stages[1].blocks[0].mlp.fc1.weight.std().item() < 0.03
    assert not model.stages[1].blocks[0].mlp.fc1.bias.any()

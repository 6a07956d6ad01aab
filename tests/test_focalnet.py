"""FocalNet: sizes, focal modulation, stage sizes and the official
classification and detection checkpoints (the backbone contract:
test_contract.py)."""
import re
from typing import List

import pytest
import torch
import torch.nn.functional as F
from _helpers import (assert_classifier_params, classifier_tensors,
                      randomized_state)
from torch import nn
from test_official_dense import assert_final_norm_rule

from mmcnn.models import FocalNet
from mmcnn.models.backbones.focalnet import FocalModulation

# Parameters with the 1000-class classifier (the final LayerNorm, kept as
# ``norm3``, and a Linear), counted from the implementation, and the
# microsoft/FocalNet README figures in millions.
PARAMS = {
    'tiny-srf': (28_427_116, 28.4, 1),
    'tiny-lrf': (28_647_928, 28.6, 1),
    'small-srf': (49_891_216, 49.9, 1),
    'small-lrf': (50_342_440, 50.3, 1),
    'base-srf': (88_148_144, 88.1, 1),
    'base-lrf': (88_749_768, 88.7, 1),
    'large-fl3': (207_100_744, 207, 0),
    'large-fl4': (207_281_248, 207, 0),
    'xlarge-fl3': (366_082_120, 366, 0),
    'xlarge-fl4': (366_322_784, 366, 0),
}

TINY = dict(embed_dims=[8, 16, 24, 32], depths=[1, 1, 1, 1],
            focal_levels=[2] * 4, focal_windows=[3] * 4)


@pytest.mark.parametrize('arch', sorted(PARAMS))
def test_param_counts_with_classifier(arch):
    with torch.device('meta'):
        model = FocalNet(arch=arch, out_indices=(3, ))
        head = nn.Linear(model.embed_dims[-1], 1000)
    assert_classifier_params(model, head, *PARAMS[arch])


@pytest.mark.parametrize('arch,kernels', [
    ('tiny-srf', [3, 5]), ('tiny-lrf', [3, 5, 7]), ('large-fl3', [5, 7, 9]),
    ('xlarge-fl4', [3, 5, 7, 9])])
def test_focal_kernels(arch, kernels):
    with torch.device('meta'):
        model = FocalNet(arch=arch)
    modulation = model.layers[2].blocks[0].modulation
    assert [layer[0].kernel_size[0] for layer in modulation.focal_layers] \
        == kernels
    width = model.embed_dims[2]
    assert modulation.f.out_features == 2 * width + len(kernels) + 1


def test_large_variants_use_post_norm_layer_scale_and_conv_embed():
    with torch.device('meta'):
        small = FocalNet(arch='base-lrf')
        large = FocalNet(arch='large-fl4')
    assert small.layers[0].blocks[0].gamma_1 is None
    assert not small.layers[0].blocks[0].post_norm
    block = large.layers[0].blocks[0]
    assert block.post_norm and block.gamma_1.shape == (192, )
    assert block.modulation.normalize_modulator
    assert large.patch_embed.proj.kernel_size == (7, 7)
    assert large.layers[1].downsample.proj.kernel_size == (3, 3)
    assert small.patch_embed.proj.kernel_size == (4, 4)


def test_modulation_is_query_times_aggregated_context():
    """With every gate but the global one zeroed, the modulator is
    ``h(GELU(mean(ctx_L)))``: the same for every pixel."""
    model = FocalNet(arch=TINY).eval()
    modulation = model.layers[0].blocks[0].modulation
    with torch.no_grad():
        modulation.f.weight[-3:-1] = 0
        modulation.f.bias[-3:-1] = 0
        x = torch.randn(1, 5, 6, 8)
        projected = modulation.f(x).permute(0, 3, 1, 2)
        query, ctx, gates = projected.split([8, 8, 3], dim=1)
        for layer in modulation.focal_layers:
            ctx = layer(ctx)
        context = nn.functional.gelu(ctx.mean((2, 3), keepdim=True))
        expected = query * modulation.h(context * gates[:, 2:])
        expected = modulation.proj(expected.permute(0, 2, 3, 1))
        torch.testing.assert_close(modulation(x), expected)


def test_focal_windows_are_checked():
    with pytest.raises(ValueError, match='focal_windows'):
        FocalNet(arch=TINY, focal_windows=(9, 9))


def official_layout(state: dict, last_stage: int = 3) -> dict:
    """microsoft/FocalNet's classification keys: the downsampling closes
    the previous stage, ``norm`` is the final norm, plus a ``head``."""
    official = {}
    for key, value in state.items():
        match = re.match(r'^layers\.(\d+)\.downsample\.(.*)$', key)
        if match:
            key = (f'layers.{int(match.group(1)) - 1}.downsample.'
                   f'{match.group(2)}')
        elif key.startswith(f'norm{last_stage}.'):
            key = 'norm.' + key[len('normX.'):]
        official[key] = value
    width = state[f'norm{last_stage}.weight'].numel()
    official.update(classifier_tensors(width, norm=False))
    return official


def test_official_checkpoint_loads_through_init_cfg(tmp_path):
    state = randomized_state(FocalNet(arch='tiny-srf', out_indices=(3, )))
    path = tmp_path / 'focalnet_tiny_srf.pth'
    torch.save({'model': official_layout(state), 'epoch': 299}, path)
    assert_final_norm_rule(FocalNet, 'tiny-srf', path, state)


def test_detection_windows_pad_the_classification_kernels(tmp_path):
    """The official detectors use focal window 9 from classification
    weights of window 3: the kernels are zero-padded, so the features are
    unchanged."""
    source = FocalNet(arch=TINY, out_indices=(3, ))
    source.load_state_dict(randomized_state(source, std=0.2))
    source.eval()
    path = tmp_path / 'focalnet_tiny_srf.pth'
    torch.save({'model': official_layout(source.state_dict())}, path)
    model = FocalNet(arch=TINY, out_indices=(3, ), focal_windows=(9, ) * 4,
                     init_cfg=dict(type='Pretrained',
                                   checkpoint=str(path))).eval()
    model.init_weights()
    kernel = model.layers[0].blocks[0].modulation.focal_layers[1][0].weight
    assert kernel.shape[-1] == 11 and kernel[..., 0, :].abs().max() == 0
    images = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        source.norm3.reset_parameters()  # the dense form's fresh norm3
        torch.testing.assert_close(model(images), source(images))


CONV_EMBED = dict(TINY, conv_embed=True, post_norm=True, layer_scale=1e-4)


def _official_sizes(size: int, conv_embed: bool, classifier: bool
                    ) -> List[int]:
    """Stage sizes along one side by the official code's formulas: the
    dense backbones pad every embedding's input to a multiple of its
    stride; the classifier does not (stem: 7x7 s4 p2 or 4x4 s4, then 3x3
    s2 p1 or 2x2 s2)."""
    sizes = []
    for stride in (4, 2, 2, 2):
        if not classifier:
            size = -(-size // stride)
        elif conv_embed:
            kernel, pad = (7, 2) if stride == 4 else (3, 1)
            size = (size + 2 * pad - kernel) // stride + 1
        else:
            size //= stride
        sizes.append(size)
    return sizes


@pytest.mark.parametrize('arch,conv_embed', [(TINY, False),
                                             (CONV_EMBED, True)])
@pytest.mark.parametrize('classifier', [False, True])
def test_stage_sizes_at_odd_input_sizes(arch, conv_embed, classifier):
    model = FocalNet(arch=arch, classifier_form=classifier).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 150, 211))
    expected = list(zip(_official_sizes(150, conv_embed, classifier),
                        _official_sizes(211, conv_embed, classifier)))
    assert [tuple(o.shape[2:]) for o in outs] == expected
    if conv_embed and classifier:
        assert expected[0] == (37, 53)  # the official classifier's
    if conv_embed and not classifier:
        assert expected[0] == (38, 53)  # FocalNet-DINO's dense backbone


def test_conv_embed_stem_padding_in_both_forms():
    """The 7x7 stem convolves with padding 2: after a bottom/right pad to
    a multiple of 4 in the dense form (FocalNet-DINO), on the image as it
    is in the classifier."""
    x = torch.randn(1, 3, 150, 211)
    for classifier in (False, True):
        stem = FocalNet(arch=CONV_EMBED,
                        classifier_form=classifier).patch_embed.eval()
        image = x if classifier else F.pad(x, (0, 1, 0, 2))
        conv = F.conv2d(image, stem.proj.weight, stem.proj.bias, stride=4,
                        padding=2)
        with torch.no_grad():
            torch.testing.assert_close(
                stem(x), stem.norm(conv.permute(0, 2, 3, 1)))


def test_more_focal_levels_keep_the_pretrained_gates():
    source = FocalNet(arch=TINY)
    state = randomized_state(source)
    model = FocalNet(arch=dict(TINY, focal_levels=[3] * 4))
    converted = FocalNet.checkpoint_filter(state, model)
    key = 'layers.0.blocks.0.modulation.f.weight'
    old, new = state[key], converted[key]
    assert new.shape == (2 * 8 + 4, 8)
    assert torch.equal(new[:18], old[:18]) and torch.equal(new[-1], old[-1])
    assert new[18].abs().max() == 0


def test_zero_focal_levels_are_refused():
    with pytest.raises(ValueError, match='focal_level >= 1'):
        FocalModulation(16, focal_level=0, focal_window=3)

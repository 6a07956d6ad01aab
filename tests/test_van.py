"""VAN: sizes, the LKA receptive field and checkpoints in the official and
mmpretrain layouts (the backbone contract: test_contract.py)."""
import argparse
import re

import pytest
import torch
from _helpers import (assert_classifier_params, assert_loaded,
                      assert_same_features_as_mmpretrain,
                      assert_strict_loading_fails, classifier_tensors,
                      load_through_init_cfg, randomized_state)
from torch import nn

from mmcnn.models import VAN
from mmcnn.models.backbones.van import LKA

# Parameters with the official 1000-class classifier (a Linear after the
# last stage's LayerNorm, which this backbone keeps as ``norm4``), counted
# from the implementation, and the published figures in millions:
# VAN-Classification README for B0-B3, mmpretrain's model zoo (official
# weights) for B4, the arXiv v5 paper's ImageNet-22K table for B5 and B6.
PARAMS = {
    'b0': (4_105_800, 4.1, 1),
    'b1': (13_861_800, 13.9, 1),
    'b2': (26_578_472, 26.6, 1),
    'b3': (44_765_608, 44.8, 1),
    'b4': (60_283_176, 60.28, 2),
    'b5': (89_967_688, 90.0, 1),
    'b6': (199_829_416, 200, 0),
}


@pytest.mark.parametrize('arch', sorted(PARAMS))
def test_param_counts_with_classifier(arch):
    with torch.device('meta'):
        model = VAN(arch=arch)
        head = nn.Linear(model.embed_dims[-1], 1000)
    assert_classifier_params(model, head, *PARAMS[arch])


def test_mmpretrain_names_are_aliases():
    for alias, name in [('tiny', 'b0'), ('small', 'b1'), ('base', 'b2'),
                        ('large', 'b3')]:
        assert VAN.arch_zoo[alias] == VAN.arch_zoo[name]


def test_lka_receptive_field():
    """The paper's K=21, d=3 decomposition: a DW5x5 then a DW7x7 with
    dilation 3, together ``4 + 3 * 6 + 1 = 23`` pixels wide."""
    lka = LKA(4)
    x = torch.randn(1, 4, 41, 41, requires_grad=True)
    lka(x)[0, :, 20, 20].sum().backward()
    # Relative to the largest: the FFT algorithm the depth-wise convolution
    # may pick leaves rounding noise outside the field.
    reach = x.grad.abs().sum((0, 1))
    rows, cols = torch.nonzero(reach > 1e-5 * reach.max()).unbind(1)
    assert (rows.min().item(), rows.max().item()) == (9, 31)
    assert (cols.min().item(), cols.max().item()) == (9, 31)


def test_lka_multiplies_its_input():
    lka = LKA(4)
    x = torch.randn(1, 4, 9, 9)
    attention = lka.conv1(lka.conv_spatial(lka.conv0(x)))
    torch.testing.assert_close(lka(x), x * attention)
    assert lka(torch.zeros(1, 4, 9, 9)).abs().max() == 0


def test_layer_scale_and_init():
    model = VAN(arch='b0')
    model.init_weights()
    block = model.block3[0]
    assert torch.all(block.layer_scale_1 == 1e-2)
    conv = block.attn.spatial_gating_unit.conv_spatial
    fan_out = 7 * 7 * conv.out_channels // conv.groups
    assert conv.weight.std().item() == pytest.approx(
        (2 / fan_out)**0.5, rel=0.15)
    assert torch.all(conv.bias == 0)


def official_layout(state: dict, width: int) -> dict:
    """The official VAN-Classification keys: a nested ``mlp.dwconv.dwconv``
    and a ``head``."""
    official = {re.sub(r'\.mlp\.dwconv\.', '.mlp.dwconv.dwconv.', k): v
                for k, v in state.items()}
    official.update(classifier_tensors(width, norm=False))
    return official


def test_official_checkpoint_loads_through_init_cfg(tmp_path):
    state = randomized_state(VAN(arch='b0'))
    release = {'state_dict': official_layout(state, 256), 'epoch': 309,
               'args': argparse.Namespace(model='van_b0')}
    model = load_through_init_cfg(VAN(arch='b0'), release,
                                  tmp_path / 'van_b0.pth.tar')
    assert_loaded(model, state)


def test_strict_loading_names_offending_keys(tmp_path):
    assert_strict_loading_fails(VAN(arch='b0'), VAN(arch='b1').state_dict(),
                                tmp_path / 'van_b1.pth',
                                'shape mismatch.*patch_embed1')


def test_mmpretrain_checkpoint_gives_same_features(tmp_path):
    """mmpretrain's VAN, saved as a classifier checkpoint, loads with
    ``prefix='backbone.'`` and computes the same features."""
    from mmpretrain.models import VAN as MMPretrainVAN
    reference = MMPretrainVAN(arch='tiny', out_indices=(0, 1, 2, 3),
                              norm_cfg=dict(type='LN', eps=1e-6))
    reference.load_state_dict(randomized_state(reference, std=0.1))
    assert_same_features_as_mmpretrain(
        reference, VAN(arch='b0'), tmp_path / 'mmpretrain_van_tiny.pth')

"""MogaNet backbone: sizes, the width rule and checkpoints (the backbone
contract: test_contract.py)."""
import argparse

import pytest
import torch
from _helpers import (assert_loaded, assert_strict_loading_fails,
                      classifier_tensors, count_params,
                      load_through_init_cfg)

from mmcnn.models import MogaNet

# Backbone parameters (classifier excluded) of the official implementation.
PARAMS_M = {
    'xtiny': 2.763, 'tiny': 4.940, 'small': 24.823, 'base': 43.207,
    'large': 81.840, 'xlarge': 180.031,
}


@pytest.mark.parametrize('arch', sorted(PARAMS_M))
def test_param_counts(arch):
    model = MogaNet(arch=arch)
    assert round(count_params(model) / 1e6, 3) == PARAMS_M[arch]


def test_custom_arch_and_width_rule():
    model = MogaNet(arch=dict(embed_dims=[16, 32, 48, 64], depths=[1, 1, 1, 1],
                              ffn_ratios=[2, 2, 2, 2]))
    assert [o.shape[1] for o in model(torch.randn(1, 3, 64, 64))] == [
        16, 32, 48, 64]
    with pytest.raises(ValueError, match='divisible by 8'):
        MogaNet(arch=dict(embed_dims=[12, 32, 48, 64], depths=[1, 1, 1, 1],
                          ffn_ratios=[2, 2, 2, 2]))


def official_layout_state_dict(model: MogaNet) -> dict:
    """A state dict shaped like an official classification checkpoint."""
    state = {k: torch.randn_like(v) if v.is_floating_point() else v
             for k, v in model.state_dict().items()}
    state.update(classifier_tensors(model.embed_dims[-1], norm=False))
    return state


@pytest.mark.parametrize('entry', ['state_dict', 'state_dict_ema', 'model'])
def test_official_checkpoint_loads_through_init_cfg(tmp_path, entry):
    state = official_layout_state_dict(MogaNet(arch='xtiny'))
    release = {entry: state, 'args': argparse.Namespace(model='moganet'),
               'epoch': 299}
    model = load_through_init_cfg(
        MogaNet(arch='xtiny'), release,
        tmp_path / 'moganet_xtiny_sz224_8xbs128_ep300.pth.tar')
    assert_loaded(model, state)


def test_strict_loading_names_offending_keys(tmp_path):
    assert_strict_loading_fails(MogaNet(arch='xtiny'),
                                MogaNet(arch='small').state_dict(),
                                tmp_path / 'small.pth',
                                'shape mismatch.*patch_embed1')

"""RepLKNet backbone: sizes, re-parameterisation, checkpoints (the backbone
contract: test_contract.py)."""
import argparse

import pytest
import torch
from _helpers import (assert_loaded, assert_strict_loading_fails,
                      classifier_tensors, count_params, randomise,
                      rel_error)
from torch import nn

from mmcnn.models import RepLKNet
from mmcnn.models.backbones.replknet import ReparamLargeKernelConv

# Whole classifiers (final BN + 1000-class head included, training form), as
# listed in mmpretrain's RepLKNet metafile for the official weights.
PARAMS = {'31b': 79864168, '31l': 172671016, 'xl': 335435752}

# Official kernel sizes with small widths and depths: the same code paths as
# the zoo variants at a fraction of the CPU time.
TINY = dict(large_kernel_sizes=[31, 29, 27, 13], depths=[1, 1, 2, 1],
            embed_dims=[16, 32, 48, 64], small_kernel=5, dw_ratio=1)
TINY_XL = dict(TINY, large_kernel_sizes=[27, 27, 27, 13], small_kernel=None,
               dw_ratio=1.5, norm_intermediate_features=True)


@pytest.mark.parametrize('arch', sorted(PARAMS))
def test_param_counts_match_official_classifier(arch):
    with torch.device('meta'):
        model = RepLKNet(arch, out_indices=(3, ),
                         norm_intermediate_features=False)
        deploy = RepLKNet(arch, out_indices=(3, ), deploy=True,
                          norm_intermediate_features=False)
    width = model.embed_dims[-1]
    head = 2 * width + width * 1000 + 1000
    assert count_params(model) + head == PARAMS[arch]
    assert count_params(deploy) < count_params(model)


def test_matches_mmpretrain_replknet():
    """mmpretrain's port of the official code: same keys, same outputs."""
    from mmpretrain.models.backbones import RepLKNet as MMPretrainRepLKNet
    theirs_arch = dict(large_kernel_sizes=TINY['large_kernel_sizes'],
                       layers=TINY['depths'], channels=TINY['embed_dims'],
                       small_kernel=TINY['small_kernel'],
                       dw_ratio=TINY['dw_ratio'])
    theirs = MMPretrainRepLKNet(theirs_arch, out_indices=(0, 1, 2, 3))
    randomise(theirs)
    theirs.eval()
    ours = RepLKNet(TINY, norm_intermediate_features=True).eval()
    assert set(ours.state_dict()) == set(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        for a, b in zip(ours(x), theirs(x)):
            assert rel_error(a, b) < 1e-5


@pytest.mark.parametrize('arch', [TINY, TINY_XL], ids=['31b', 'xl'])
def test_deploy_form_merges_the_kernel_branches(arch):
    model = randomise(RepLKNet(arch)).eval()
    params = count_params(model)
    x = torch.randn(1, 3, 64, 64)
    built = RepLKNet(arch, deploy=True).eval()
    with torch.no_grad():
        expected = model(x)[-1]
        model.switch_to_deploy()
        assert rel_error(model(x)[-1], expected) < 1e-4
        built.load_state_dict(model.state_dict(), strict=True)
        assert rel_error(built(x)[-1], expected) < 1e-4
    assert count_params(model) < params
    assert not any('lkb_origin' in k or 'small_conv' in k
                   for k in model.state_dict())


def test_large_kernel_merge_is_exact_per_module():
    lk = ReparamLargeKernelConv(8, 13, small_kernel=5)
    randomise(lk).eval()
    x = torch.randn(2, 8, 20, 17)
    with torch.no_grad():
        expected = lk(x)
        lk.switch_to_deploy()
        assert lk.lkb_reparam.weight.shape == (8, 1, 13, 13)
        assert rel_error(lk(x), expected) < 1e-5
    with pytest.raises(ValueError, match='cannot be larger'):
        ReparamLargeKernelConv(8, 5, small_kernel=7)


def test_stage_norms_follow_arch_and_out_indices():
    xl = RepLKNet(TINY_XL, out_indices=(1, 3))
    assert [isinstance(s.norm, nn.BatchNorm2d) for s in xl.stages] == [
        False, True, False, True]
    plain = RepLKNet(TINY)
    assert all(isinstance(s.norm, nn.Identity) for s in plain.stages)


def official_state_dict(model: RepLKNet) -> dict:
    """Shaped like an official ImageNet checkpoint (final BN, head)."""
    state = {k: torch.randn_like(v) if v.is_floating_point() else v
             for k, v in model.state_dict().items()}
    width = model.embed_dims[-1]
    state.update(classifier_tensors(width),
                 **{'norm.running_mean': torch.randn(width),
                    'norm.running_var': torch.rand(width)})
    return state


@pytest.mark.parametrize('entry', ['model', 'state_dict'])
def test_official_checkpoint_loads_through_init_cfg(tmp_path, entry):
    state = official_state_dict(RepLKNet(TINY))
    path = tmp_path / 'RepLKNet-31B_ImageNet-1K_224.pth'
    torch.save({entry: state, 'args': argparse.Namespace(model='replknet')},
               path)
    model = RepLKNet(TINY, init_cfg=dict(type='Pretrained',
                                         checkpoint=str(path), strict=True))
    model.init_weights()
    assert_loaded(model, state)


def test_mmpretrain_checkpoint_loads_with_prefix(tmp_path):
    from mmpretrain.models import ImageClassifier
    classifier = ImageClassifier(
        backbone=dict(type='mmcnn.RepLKNet', arch=TINY, out_indices=(3, ),
                      norm_intermediate_features=True),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=64))
    randomise(classifier)
    path = tmp_path / 'replknet_cls.pth'
    torch.save({'state_dict': classifier.state_dict(), 'meta': {}}, path)
    model = RepLKNet(TINY, out_indices=(3, ), norm_intermediate_features=True,
                     init_cfg=dict(type='Pretrained', checkpoint=str(path),
                                   prefix='backbone.', strict=True))
    model.init_weights()
    assert torch.equal(model.stages[3].norm.running_var,
                       classifier.backbone.stages[3].norm.running_var)


def test_strict_loading_names_offending_keys(tmp_path):
    assert_strict_loading_fails(RepLKNet(TINY),
                                RepLKNet(TINY, deploy=True).state_dict(),
                                tmp_path / 'deploy.pth',
                                'unexpected.*large_kernel.lkb_reparam')

"""RepLKNet backbone: sizes, outputs, re-parameterisation, checkpoints."""
import argparse

import pytest
import torch
from torch import nn

from mmcnn.models import RepLKNet
from mmcnn.models.backbones.replknet import ReparamLargeKernelConv
from mmcnn.utils import CheckpointError

# Whole classifiers (final BN + 1000-class head included, training form), as
# listed in mmpretrain's RepLKNet metafile for the official weights.
PARAMS = {'31b': 79864168, '31l': 172671016, 'xl': 335435752}

# Official kernel sizes with small widths and depths: the same code paths as
# the zoo variants at a fraction of the CPU time.
TINY = dict(large_kernel_sizes=[31, 29, 27, 13], depths=[1, 1, 2, 1],
            embed_dims=[16, 32, 48, 64], small_kernel=5, dw_ratio=1)
TINY_XL = dict(TINY, large_kernel_sizes=[27, 27, 27, 13], small_kernel=None,
               dw_ratio=1.5, norm_intermediate_features=True)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def randomise(model: nn.Module) -> nn.Module:
    """Non-trivial weights and BN statistics, so that folding BN matters."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, value in model.state_dict().items():
            if not value.is_floating_point():
                continue
            if name.endswith('running_var'):
                value.copy_(torch.rand(value.shape, generator=gen) + 0.5)
            elif value.dim() == 4:
                fan_in = value[0].numel()
                value.copy_(torch.randn(value.shape, generator=gen) /
                            fan_in**0.5)
            else:
                value.copy_(torch.randn(value.shape, generator=gen) * 0.3 +
                            (1. if name.endswith('.weight') else 0.))
    return model


def rel_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).abs().max() / b.abs().max()).item()


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


def test_outputs_non_square_real_widths():
    arch = dict(RepLKNet.arch_zoo['31b'], depths=[1, 1, 1, 1])
    model = RepLKNet(arch).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 96))
    assert [tuple(o.shape) for o in outs] == [
        (1, w, 64 // s, 96 // s)
        for w, s in zip([128, 256, 512, 1024], (4, 8, 16, 32))]


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
def test_deploy_reparameterisation(arch):
    model = randomise(RepLKNet(arch)).eval()
    x = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        before = model(x)
        n_train = count_params(model)
        model.switch_to_deploy()
        after = model(x)
    assert model.deploy
    assert count_params(model) < n_train
    assert not any('lkb_origin' in k or 'small_conv' in k
                   for k in model.state_dict())
    for a, b in zip(after, before):
        assert rel_error(a, b) < 1e-4

    built = RepLKNet(arch, deploy=True).eval()
    built.load_state_dict(model.state_dict(), strict=True)
    with torch.no_grad():
        for a, b in zip(built(x), before):
            assert rel_error(a, b) < 1e-4


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


def test_frozen_stages_and_norm_eval():
    model = RepLKNet(TINY, frozen_stages=2, norm_eval=True)
    model.train()
    assert not any(p.requires_grad for p in model.stem.parameters())
    assert not any(p.requires_grad
                   for p in model.transitions[0].parameters())
    assert all(p.requires_grad for p in model.transitions[1].parameters())
    assert all(not m.training for m in model.modules()
               if isinstance(m, nn.BatchNorm2d))
    before = model.stages[3].blocks[0].prelkb_bn.running_mean.clone()
    model(torch.randn(2, 3, 64, 64))
    assert torch.equal(before, model.stages[3].blocks[0].prelkb_bn
                       .running_mean)


def test_drop_path_and_checkpointing():
    model = RepLKNet(TINY, drop_path_rate=0.3)
    rates = [m.drop_prob for m in model.modules()
             if hasattr(m, 'drop_prob')]
    assert rates == sorted(rates) and rates[-1] == pytest.approx(0.3)

    plain = randomise(RepLKNet(TINY, out_indices=(0, ))).train()
    cp = RepLKNet(TINY, out_indices=(0, ), with_cp=True).train()
    cp.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 32, 32)
    plain(x)[0].sum().backward()
    cp(x)[0].sum().backward()
    grad = plain.stages[0].blocks[0].large_kernel.lkb_origin.conv.weight.grad
    cp_grad = cp.stages[0].blocks[0].large_kernel.lkb_origin.conv.weight.grad
    assert rel_error(cp_grad, grad) < 1e-4


def test_errors():
    with pytest.raises(KeyError, match='Valid names'):
        RepLKNet('31x')
    with pytest.raises(ValueError, match='in_channels'):
        RepLKNet(TINY)(torch.randn(1, 1, 64, 64))
    with pytest.raises(ValueError, match='out_indices'):
        RepLKNet(TINY, out_indices=(4, ))


def official_state_dict(model: RepLKNet) -> dict:
    """Shaped like an official ImageNet checkpoint (final BN, head)."""
    state = {k: torch.randn_like(v) if v.is_floating_point() else v
             for k, v in model.state_dict().items()}
    width = model.embed_dims[-1]
    state.update({'norm.weight': torch.randn(width),
                  'norm.bias': torch.randn(width),
                  'norm.running_mean': torch.randn(width),
                  'norm.running_var': torch.rand(width),
                  'head.weight': torch.randn(1000, width),
                  'head.bias': torch.randn(1000)})
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
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


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
    path = tmp_path / 'deploy.pth'
    torch.save(RepLKNet(TINY, deploy=True).state_dict(), path)
    model = RepLKNet(TINY, init_cfg=dict(type='Pretrained',
                                         checkpoint=str(path), strict=True))
    with pytest.raises(CheckpointError,
                       match='unexpected.*large_kernel.lkb_reparam'):
        model.init_weights()

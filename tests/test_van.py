"""VAN: sizes, the LKA receptive field, the backbone contract and
checkpoints in the official and mmpretrain layouts."""
import re

import pytest
import torch
from torch import nn

from mmcnn.models import VAN
from mmcnn.models.backbones.van import LKA
from mmcnn.registry import MODELS
from mmcnn.utils import CheckpointError

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


def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def randomized_state(model: nn.Module, std: float = 1.) -> dict:
    state = {}
    for key, value in model.state_dict().items():
        if key.endswith('running_var'):
            value = torch.rand_like(value) + 0.5
        elif value.is_floating_point():
            value = torch.randn_like(value) * std
        state[key] = value
    return state


@pytest.mark.parametrize('arch', sorted(PARAMS))
def test_param_counts_with_classifier(arch):
    official, published, digits = PARAMS[arch]
    with torch.device('meta'):
        model = VAN(arch=arch)
        head = nn.Linear(model.embed_dims[-1], 1000)
    total = count_params(model) + count_params(head)
    assert total == official
    assert round(total / 1e6, digits) == published


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
    rows, cols = torch.nonzero(x.grad.abs().sum((0, 1))).unbind(1)
    assert (rows.min().item(), rows.max().item()) == (9, 31)
    assert (cols.min().item(), cols.max().item()) == (9, 31)


def test_lka_multiplies_its_input():
    lka = LKA(4)
    x = torch.randn(1, 4, 9, 9)
    attention = lka.conv1(lka.conv_spatial(lka.conv0(x)))
    torch.testing.assert_close(lka(x), x * attention)
    assert lka(torch.zeros(1, 4, 9, 9)).abs().max() == 0


def test_outputs_non_square():
    model = VAN(arch='b0').eval()
    with torch.no_grad():
        outs = model(torch.randn(2, 3, 64, 96))
    assert [tuple(o.shape) for o in outs] == [
        (2, w, 64 // s, 96 // s)
        for w, s in zip([32, 64, 160, 256], (4, 8, 16, 32))]


def test_out_indices_subset_and_negative():
    model = VAN(arch='b0', out_indices=(-1, 1)).eval()
    outs = model(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == [64, 256]


def test_frozen_stages_stay_frozen_after_train():
    model = VAN(arch='b0', frozen_stages=2)
    model.train()
    for i in range(4):
        modules = model.stage_modules(i)
        assert all(p.requires_grad is (i >= 2)
                   for m in modules for p in m.parameters())
        assert all(m.training is (i >= 2)
                   for mod in modules for m in mod.modules())


def test_norm_eval_keeps_running_stats():
    model = VAN(arch='b0', norm_eval=True)
    model.train()
    before = model.block1[0].norm1.running_mean.clone()
    model(torch.randn(2, 3, 64, 64))
    assert torch.equal(before, model.block1[0].norm1.running_mean)
    assert model.patch_embed1.norm.training is False
    assert model.norm1.training is True


def test_drop_path_rates_increase():
    model = VAN(arch='b0', drop_path_rate=0.3)
    rates = [b.drop_path.drop_prob for i in range(1, 5)
             for b in getattr(model, f'block{i}')
             if not isinstance(b.drop_path, nn.Identity)]
    assert len(rates) == sum(model.depths) - 1
    assert rates == sorted(rates) and rates[-1] == pytest.approx(0.3)


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


def test_custom_arch_and_errors():
    model = VAN(arch=dict(embed_dims=[8, 16, 24, 32], depths=[1, 1, 1, 1],
                          mlp_ratios=[2, 2, 2, 2]))
    assert [o.shape[1] for o in model(torch.randn(1, 3, 64, 64))] == [
        8, 16, 24, 32]
    with pytest.raises(KeyError, match='Valid names'):
        VAN(arch='b9')
    with pytest.raises(KeyError, match='lacks keys'):
        VAN(arch=dict(embed_dims=[8, 16, 24, 32], depths=[1, 1, 1, 1]))
    with pytest.raises(ValueError, match='frozen_stages'):
        VAN(arch='b0', frozen_stages=5)
    with pytest.raises(ValueError, match='in_channels'):
        VAN(arch='b0')(torch.randn(1, 1, 64, 64))


def official_layout(state: dict, width: int) -> dict:
    """The official VAN-Classification keys: a nested ``mlp.dwconv.dwconv``
    and a ``head``."""
    official = {re.sub(r'\.mlp\.dwconv\.', '.mlp.dwconv.dwconv.', k): v
                for k, v in state.items()}
    official['head.weight'] = torch.randn(1000, width)
    official['head.bias'] = torch.randn(1000)
    return official


def test_official_checkpoint_loads_through_init_cfg(tmp_path):
    import argparse
    state = randomized_state(VAN(arch='b0'))
    path = tmp_path / 'van_b0.pth.tar'
    torch.save({'state_dict': official_layout(state, 256), 'epoch': 309,
                'args': argparse.Namespace(model='van_b0')}, path)
    model = VAN(arch='b0', init_cfg=dict(type='Pretrained',
                                         checkpoint=str(path)))
    model.init_weights()
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_strict_loading_names_offending_keys(tmp_path):
    path = tmp_path / 'van_b1.pth'
    torch.save({'state_dict': VAN(arch='b1').state_dict()}, path)
    model = VAN(arch='b0', init_cfg=dict(
        type='Pretrained', checkpoint=str(path), strict=True))
    with pytest.raises(CheckpointError, match='shape mismatch.*patch_embed1'):
        model.init_weights()


def test_mmpretrain_checkpoint_gives_same_features(tmp_path):
    """mmpretrain's VAN, saved as a classifier checkpoint, loads with
    ``prefix='backbone.'`` and computes the same features."""
    from mmpretrain.models import VAN as MMPretrainVAN
    reference = MMPretrainVAN(arch='tiny', out_indices=(0, 1, 2, 3),
                              norm_cfg=dict(type='LN', eps=1e-6))
    reference.load_state_dict(randomized_state(reference, std=0.1))
    reference.eval()
    path = tmp_path / 'mmpretrain_van_tiny.pth'
    torch.save({'meta': {'epoch': 300}, 'state_dict': {
        'backbone.' + k: v for k, v in reference.state_dict().items()}},
        path)
    model = VAN(arch='b0', init_cfg=dict(
        type='Pretrained', checkpoint=str(path), prefix='backbone.',
        strict=True)).eval()
    model.init_weights()
    images = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        for ours, theirs in zip(model(images), reference(images)):
            torch.testing.assert_close(ours, theirs)


def test_builds_from_mmdet_registry_and_feeds_fpn():
    from mmdet.registry import MODELS as DET_MODELS
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmdet'):
        backbone = DET_MODELS.build(dict(type='mmcnn.VAN', arch='b0',
                                         frozen_stages=1))
        neck = DET_MODELS.build(dict(type='FPN',
                                     in_channels=[32, 64, 160, 256],
                                     out_channels=16, num_outs=5))
    assert type(backbone) is MODELS.get('VAN')
    with torch.no_grad():
        outs = neck(backbone(torch.randn(1, 3, 64, 96)))
    assert [tuple(o.shape[2:]) for o in outs] == [
        (16, 24), (8, 12), (4, 6), (2, 3), (1, 2)]

"""The backbone contract (``mmcnn.models.backbones.base``), asserted for
every registered family at its small arch: output shapes and
``out_indices``, ``frozen_stages``, ``norm_eval``, drop-path rates, arch
and input errors, the deploy form, gradient checkpointing, pooling before
the final norm and builds from the downstream libraries' registries."""
import importlib
import inspect
import math
import re

import pytest
import torch
import torch.nn.functional as F
from _helpers import (FAMILIES, build_small, count_params, randomise,
                      rel_error, small_arch, smallest_arch)
from mmengine.registry import DefaultScope
from torch.nn.modules.batchnorm import _BatchNorm

from mmcnn.models import backbones
from mmcnn.registry import MODELS

STRIDES = (4, 8, 16, 32)


@pytest.fixture(autouse=True)
def _no_algorithm_trials():
    """Deterministic mode: the depth-wise convolutions run their fixed
    first algorithm instead of timing trials for every new shape."""
    before = (torch.are_deterministic_algorithms_enabled(),
              torch.is_deterministic_algorithms_warn_only_enabled())
    torch.use_deterministic_algorithms(True, warn_only=True)
    yield
    torch.use_deterministic_algorithms(before[0], warn_only=before[1])


def takes(name: str, argument: str) -> bool:
    """Whether family ``name``'s constructor has ``argument``."""
    return argument in inspect.signature(MODELS.get(name).__init__).parameters


def test_every_exported_backbone_is_registered():
    exported = set(backbones.__all__) - {'ConvNetBackbone'}
    assert FAMILIES == sorted(exported)


@pytest.mark.parametrize('name', FAMILIES)
def test_output_shapes_at_the_strides(name):
    """The smallest zoo arch returns every stage, ``embed_dims`` wide, at
    strides 4..32 of a non-square input."""
    model = MODELS.build(dict(type=name, arch=smallest_arch(name))).eval()
    with torch.no_grad():
        outs = model(torch.randn(2, 3, 64, 96))
    assert model.out_indices == [0, 1, 2, 3]
    assert [tuple(o.shape) for o in outs] == [
        (2, w, 64 // s, 96 // s) for w, s in zip(model.embed_dims, STRIDES)]
    assert all(torch.isfinite(o).all() for o in outs)


@pytest.mark.parametrize('name', FAMILIES)
def test_output_shapes_at_odd_sizes(name):
    """Any input of at least 32 pixels works; each side of stage ``i`` is
    the input's divided by its stride, rounded either way."""
    model = build_small(name).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 67, 45))
    assert len(outs) == 4
    for out, width, stride in zip(outs, model.embed_dims, STRIDES):
        assert out.shape[:2] == (1, width)
        for side, size in zip(out.shape[2:], (67, 45)):
            assert size // stride <= side <= math.ceil(size / stride)
        assert torch.isfinite(out).all()


@pytest.mark.parametrize('name', FAMILIES)
def test_each_stage_holds_the_layer_that_feeds_it(name):
    """Stage 0's modules take in the image (the stem); stage ``i``'s take
    in stage ``i - 1``'s map (its downsampling layer)."""
    model = build_small(name).eval()
    sizes = [set() for _ in range(4)]
    for i in range(4):
        for module in model.stage_modules(i):
            module.register_forward_pre_hook(
                lambda m, args, i=i: sizes[i].add(args[0].numel()))
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        outs = model(x)
    assert x.numel() in sizes[0]
    for i in range(1, 4):
        assert outs[i - 1].numel() in sizes[i], i


@pytest.mark.parametrize('name', FAMILIES)
def test_out_indices_subset_and_negative(name):
    """Only the stages in ``out_indices`` (negative ones from the end)
    are returned; families with a classification form build output norms
    only for them."""
    model = build_small(name, out_indices=(-1, 1)).eval()
    assert model.out_indices == [1, 3]
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 64))
    widths = model.embed_dims
    assert [tuple(o.shape) for o in outs] == [(1, widths[1], 8, 8),
                                              (1, widths[3], 2, 2)]
    if MODELS.get(name).classifier_form_arg:
        assert [hasattr(model, f'norm{i}') for i in range(4)] == [
            False, True, False, True]


@pytest.mark.parametrize('name', FAMILIES)
def test_frozen_stages_stay_frozen_after_train(name):
    """Every parameter belongs to one stage; the first two stages keep
    their weights (no gradients), eval mode and BN statistics through
    ``train()``, a forward and a backward; the others train."""
    model = build_small(name, frozen_stages=2, drop_path_rate=0.1).train()
    stages = [[p for m in model.stage_modules(i) for p in m.parameters()]
              for i in range(4)]
    assert sorted(id(p) for ps in stages for p in ps) == sorted(
        id(p) for p in model.parameters())
    norms = [[m for mod in model.stage_modules(i) for m in mod.modules()
              if isinstance(m, _BatchNorm)] for i in range(4)]
    stats = [[m.running_mean.clone() for m in ns] for ns in norms]
    for i in range(4):
        assert stages[i]
        assert all(p.requires_grad is (i >= 2) for p in stages[i])
        assert all(m.training is (i >= 2) for mod in model.stage_modules(i)
                   for m in mod.modules())
    sum(o.sum() for o in model(torch.randn(2, 3, 64, 64))).backward()
    for i in range(4):
        assert all((p.grad is None) is (i < 2) for p in stages[i])
        for norm, before in zip(norms[i], stats[i]):
            assert torch.equal(norm.running_mean, before) is (i < 2)


@pytest.mark.parametrize('name', FAMILIES)
def test_norm_eval_keeps_batch_norms_in_eval(name):
    """``norm_eval`` puts exactly the batch norms in eval mode: their
    statistics stay, and training-mode outputs equal eval-mode ones."""
    model = build_small(name, norm_eval=True).train()
    norms = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    assert all(not m.training for m in norms)
    assert all(m.training for m in model.modules()
               if not isinstance(m, _BatchNorm))
    stats = [m.running_mean.clone() for m in norms]
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        train_out = model(x)
        eval_out = model.eval()(x)
    assert all(torch.equal(m.running_mean, s) for m, s in zip(norms, stats))
    for a, b in zip(train_out, eval_out):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize('name', FAMILIES)
def test_drop_path_rates_increase_linearly(name):
    """Block ``k`` of ``sum(depths)`` drops paths at ``k / (n - 1)`` of
    ``drop_path_rate`` (the first block has none)."""
    model = build_small(name, drop_path_rate=0.3)
    rates = [m.drop_prob for m in model.modules() if hasattr(m, 'drop_prob')]
    expected = torch.linspace(0, 0.3, sum(model.depths))[1:].tolist()
    assert rates == sorted(rates)
    assert sorted(set(rates)) == pytest.approx(expected)


@pytest.mark.parametrize('name', FAMILIES)
def test_custom_arch_dicts_and_errors_that_name_the_fix(name):
    """Any arch builds from its settings dict; bad archs, arguments and
    inputs are refused with messages that say what to use."""
    cls = MODELS.get(name)
    with pytest.raises(KeyError, match='Valid names: ' + re.escape(
            ', '.join(sorted(cls.arch_zoo)))):
        cls(arch='gigantic')
    arch = small_arch(name)
    settings = dict(cls.arch_zoo[arch] if isinstance(arch, str) else arch)
    first, last = cls.arch_keys[0], cls.arch_keys[-1]
    with pytest.raises(KeyError, match=re.escape(f'lacks keys {[last]}')):
        cls(arch={k: v for k, v in settings.items() if k != last})
    with pytest.raises(ValueError, match='one value per stage'):
        cls(arch=dict(settings, **{first: settings[first][:-1]}))
    with pytest.raises(ValueError, match='out_indices'):
        cls(arch=arch, out_indices=(4, ))
    with pytest.raises(ValueError, match='frozen_stages'):
        cls(arch=arch, frozen_stages=5)
    model = cls(arch=settings)
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == model.embed_dims
    with pytest.raises(ValueError, match='in_channels'):
        model(torch.randn(1, 1, 64, 64))
    with pytest.raises(ValueError, match='smaller than'):
        model(torch.randn(1, 3, 16, 64))


@pytest.mark.parametrize('name', FAMILIES)
def test_deploy_form_computes_the_same_outputs(name):
    """Switching twice gives outputs within 1e-4; a family with a
    ``deploy`` argument has fewer parameters in that form, and the model it
    builds with ``deploy=True`` loads them strictly and computes the
    same."""
    model = randomise(build_small(name)).eval()
    params = count_params(model)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        before = model(x)
        for _ in range(2):  # idempotent
            model.switch_to_deploy()
        after = model(x)
    assert model.deploy
    for a, b in zip(after, before):
        assert rel_error(a, b) < 1e-4
    if not takes(name, 'deploy'):  # nothing to fold (ConvNeXt V2)
        assert count_params(model) == params
    else:
        assert count_params(model) < params
        built = build_small(name, deploy=True).eval()
        built.load_state_dict(model.state_dict(), strict=True)
        with torch.no_grad():
            for a, b in zip(built(x), after):
                assert torch.equal(a, b)


@pytest.mark.parametrize('name', [n for n in FAMILIES
                                  if takes(n, 'with_cp')])
def test_gradient_checkpointing_gives_the_same_gradients(name):
    plain = randomise(build_small(name)).train()
    checkpointed = build_small(name, with_cp=True).train()
    checkpointed.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 64, 64)
    for model in (plain, checkpointed):
        sum(o.square().sum() for o in model(x)).backward()
    for (key, a), b in zip(plain.named_parameters(),
                           checkpointed.parameters()):
        assert rel_error(b.grad, a.grad) < 1e-4, key


def _final_norm_input(model: torch.nn.Module,
                      x: torch.Tensor) -> torch.Tensor:
    """The last stage's map entering ``norm3``, as NCHW."""
    maps = []
    handle = model.norm3.register_forward_hook(
        lambda module, args, out: maps.append(args[0]))
    model(x)
    handle.remove()
    (feature, ) = maps
    if feature.shape[-1] == model.embed_dims[3]:
        feature = feature.permute(0, 3, 1, 2)
    return feature


@pytest.mark.parametrize('name', [
    n for n in FAMILIES
    if MODELS.get(n).classifier_form_arg == 'gap_before_final_norm'])
def test_gap_before_final_norm_pools_then_normalises(name):
    """The official classifiers' order: ``norm3(GAP(x))`` as ``(N, C)``,
    unlike pooling the normalised map."""
    torch.manual_seed(0)
    pooled = build_small(name, out_indices=(3, ),
                         gap_before_final_norm=True).eval()
    maps = build_small(name, out_indices=(3, )).eval()
    with torch.no_grad():
        for param in pooled.norm3.parameters():
            param.uniform_(0.5, 1.5)
    maps.load_state_dict(pooled.state_dict())
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        (vector, ), (feature, ) = pooled(x), maps(x)
        unnormed = _final_norm_input(maps, x)
    width = pooled.embed_dims[3]
    assert vector.shape == (2, width)
    assert feature.shape == (2, width, 2, 2)
    norm = pooled.norm3
    expected = F.layer_norm(unnormed.mean((2, 3)), (width, ), norm.weight,
                            norm.bias, norm.eps)
    torch.testing.assert_close(vector, expected)
    assert not torch.allclose(vector, feature.mean((2, 3)), atol=1e-3)


@pytest.mark.parametrize('name', FAMILIES)
def test_builds_from_downstream_registries_and_feeds_fpn(name):
    """``mmcnn.<Family>`` resolves from mmdet, mmseg, mmpose and
    mmpretrain; its outputs feed an FPN built by mmdet."""
    cfg = dict(type=f'mmcnn.{name}', arch=small_arch(name), frozen_stages=1)
    built = {}
    for scope in ('mmdet', 'mmseg', 'mmpose', 'mmpretrain'):
        registry = importlib.import_module(f'{scope}.registry').MODELS
        with DefaultScope.overwrite_default_scope(scope):
            built[scope] = registry.build(cfg)
        assert type(built[scope]) is MODELS.get(name), scope
    backbone = built['mmdet'].eval()
    from mmdet.registry import MODELS as DET_MODELS
    with DefaultScope.overwrite_default_scope('mmdet'):
        neck = DET_MODELS.build(dict(type='FPN',
                                     in_channels=backbone.embed_dims,
                                     out_channels=16, num_outs=5))
    with torch.no_grad():
        outs = neck(backbone(torch.randn(1, 3, 64, 96)))
    assert [tuple(o.shape[1:]) for o in outs] == [
        (16, 16, 24), (16, 8, 12), (16, 4, 6), (16, 2, 3), (16, 1, 2)]


@pytest.mark.parametrize('name', FAMILIES)
def test_paramwise_rule_names_parameters_of_the_family(name):
    """Every ``custom_keys`` entry of the family's parameter-wise rule
    matches a parameter of its smallest arch (a key of another family, such
    as MogaNet's ``layer_scale`` on ConvNeXt, would exempt nothing), and
    the rule holds only options mmengine's constructor reads."""
    rule = MODELS.get(name).paramwise_cfg
    assert set(rule) <= {'custom_keys', 'norm_decay_mult', 'bias_decay_mult',
                         'flat_decay_mult', 'dwconv_decay_mult'}
    model = MODELS.build(dict(type=name, arch=smallest_arch(name)))
    names = [n for n, _ in model.named_parameters()]
    for key, mults in rule.get('custom_keys', {}).items():
        assert mults == dict(decay_mult=0.), key
        assert any(key in n for n in names), f'{key} matches no parameter'

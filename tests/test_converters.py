"""tools/model_converters/convert_official.py on official-layout files."""
import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from mmcnn.models import MogaNet
from mmcnn.utils.checkpoint import load_checkpoint_file, load_pretrained
from tools.model_converters import convert_official as tool

ROOT = Path(__file__).resolve().parents[1]
CLS_CONFIG = ROOT / 'configs' / 'cls' / 'moganet' / 'moganet-xt_8xb128_in1k.py'


def random_state(model: nn.Module, seed: int, head: bool = True) -> dict:
    """The model's keys with random values, plus an official linear head
    when ``head``."""
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for key, value in model.state_dict().items():
        if key.endswith('running_var'):
            state[key] = torch.rand(value.shape, generator=gen) + 0.5
        elif value.is_floating_point():
            state[key] = torch.randn(value.shape, generator=gen) * 0.2
        else:
            state[key] = value.clone()
    if not head:
        return state
    state['head.weight'] = torch.randn(1000, model.embed_dims[-1],
                                       generator=gen)
    state['head.bias'] = torch.randn(1000, generator=gen)
    return state


@pytest.fixture(scope='module')
def official(tmp_path_factory):
    """An official-layout MogaNet-XT file: weights, EMA weights, args."""
    model = MogaNet(arch='xtiny')
    states = dict(state_dict=random_state(model, 0),
                  state_dict_ema=random_state(model, 1))
    path = tmp_path_factory.mktemp('official') / 'moganet_xtiny.pth.tar'
    torch.save(dict(**states, epoch=299, args=argparse.Namespace(
        model='moganet_xtiny', lr=1e-3, model_ema=True)), path)
    return path, states


def _features(model: MogaNet, x: torch.Tensor) -> tuple:
    with torch.no_grad():
        return model.eval()(x)


@pytest.mark.parametrize('ema', [False, True])
def test_converted_file_loads_to_identical_outputs(official, tmp_path, ema,
                                                   capsys):
    path, states = official
    dst = tmp_path / 'converted.pth'
    tool.main([str(path), str(dst), '--family', 'moganet'] +
              (['--ema'] if ema else []))
    num_keys = len(MogaNet(arch='xtiny').state_dict())
    assert f'{num_keys} of {num_keys} backbone tensors matched; 0 missing' \
        in capsys.readouterr().out
    ckpt = load_checkpoint_file(str(dst))
    assert ckpt['meta']['arch'] == 'xtiny' and ckpt['meta']['ema'] is ema
    assert ckpt['meta']['official_args']['model'] == 'moganet_xtiny'
    assert not any(k.startswith('head.') for k in ckpt['state_dict'])

    weights = states['state_dict_ema' if ema else 'state_dict']
    direct = MogaNet(arch='xtiny')
    direct.load_state_dict({k: v for k, v in weights.items()
                            if not k.startswith('head.')})
    converted = MogaNet(arch='xtiny', init_cfg=dict(
        type='Pretrained', checkpoint=str(dst), strict=True))
    converted.init_weights()
    x = torch.randn(1, 3, 64, 64)
    for a, b in zip(_features(direct, x), _features(converted, x)):
        assert torch.equal(a, b)
    other = states['state_dict' if ema else 'state_dict_ema']
    assert not torch.equal(converted.state_dict()['blocks1.0.attn.proj_1.'
                                                  'weight'],
                           other['blocks1.0.attn.proj_1.weight'])


def test_keep_head_loads_into_classifier_config(official, tmp_path):
    pytest.importorskip('mmpretrain')
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import MODELS
    path, states = official
    dst = tmp_path / 'cls.pth'
    tool.main([str(path), str(dst), '--family', 'moganet', '--arch', 'xt',
               '--keep-head'])
    classifier = MODELS.build(Config.fromfile(str(CLS_CONFIG)).model)
    load_checkpoint(classifier, str(dst), strict=True)
    weights = states['state_dict']
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        logits = classifier.eval()(x, mode='tensor')
        pooled = classifier.backbone(x)[-1].mean(dim=(2, 3))
    expected = pooled @ weights['head.weight'].T + weights['head.bias']
    assert torch.allclose(logits, expected, atol=1e-4)


def test_errors_are_reported(official, tmp_path, capsys):
    path, _ = official
    bare = tmp_path / 'no_args.pth'
    torch.save({'state_dict': {'patch_embed1.projection.0.weight':
                               torch.zeros(1)}}, bare)
    with pytest.raises(SystemExit, match='pass --arch'):
        tool.main([str(bare), str(tmp_path / 'x.pth'), '--family',
                   'moganet'])
    with pytest.raises(SystemExit, match='none of .*state_dict_ema'):
        tool.main([str(bare), str(tmp_path / 'x.pth'), '--family',
                   'moganet', '--arch', 'xtiny', '--ema'])
    with pytest.raises(SystemExit, match="Not converted: MogaNet 'xtiny': 0 "
                       'of .* --allow-partial'):
        tool.main([str(bare), str(tmp_path / 'x.pth'), '--family',
                   'moganet', '--arch', 'xtiny'])
    assert not (tmp_path / 'x.pth').exists()
    tool.main([str(bare), str(tmp_path / 'x.pth'), '--family', 'moganet',
               '--arch', 'xtiny', '--allow-partial'])
    out = capsys.readouterr().out
    assert "MogaNet 'xtiny': 0 of" in out and '1 unused' in out
    assert (tmp_path / 'x.pth').is_file()


def test_wrong_arch_exits_non_zero_in_a_subprocess(official, tmp_path):
    path, _ = official
    proc = subprocess.run(
        [sys.executable, 'tools/model_converters/convert_official.py',
         str(path), str(tmp_path / 'x.pth'), '--arch', 'moganet-small'],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and 'Not converted' in proc.stderr
    assert not (tmp_path / 'x.pth').exists()


def test_custom_arch_json(tmp_path):
    arch = dict(embed_dims=[8, 16, 24, 32], depths=[1, 1, 1, 1],
                ffn_ratios=[2, 2, 2, 2])
    model = MogaNet(arch=arch)
    src = tmp_path / 'custom.pth'
    torch.save({'state_dict': model.state_dict()}, src)
    tool.main([str(src), str(tmp_path / 'out.pth'), '--family', 'moganet',
               '--arch-json', json.dumps(arch)])
    out = load_checkpoint_file(str(tmp_path / 'out.pth'))
    assert out['meta']['arch'] == arch
    loaded = MogaNet(arch=arch)
    loaded.load_state_dict(out['state_dict'])
    assert all(torch.equal(v, model.state_dict()[k])
               for k, v in loaded.state_dict().items())


def _convnext_official(model: nn.Module) -> dict:
    from test_convnext import official_layout
    return official_layout(random_state(model, 2, head=False),
                           model.embed_dims[-1])


def _focalnet_official(model: nn.Module) -> dict:
    from test_focalnet import official_layout
    return official_layout(random_state(model, 2, head=False))


def _inceptionnext_official(model: nn.Module) -> dict:
    state = random_state(model, 2, head=False)
    width = model.embed_dims[-1]
    for name, shape in [('fc1.weight', (3 * width, width)),
                        ('fc2.weight', (1000, 3 * width))]:
        state[f'head.{name}'] = torch.randn(shape)
    return state


def _with_classifier_norm(state: dict, width: int) -> dict:
    """``state`` without its output norms, plus the official classifier's
    post-pooling ``norm`` and linear ``head`` (HorNet, ConvFormer)."""
    official = {k: v for k, v in state.items() if not k.startswith('norm')}
    official.update({'norm.weight': torch.randn(width),
                     'norm.bias': torch.randn(width),
                     'head.weight': torch.randn(1000, width),
                     'head.bias': torch.randn(1000)})
    return official


def _hornet_official(model: nn.Module) -> dict:
    return _with_classifier_norm(random_state(model, 2, head=False),
                                 model.embed_dims[-1])


def _convformer_official(model: nn.Module) -> dict:
    width = model.embed_dims[-1]
    official = _with_classifier_norm(random_state(model, 2, head=False),
                                     width)
    del official['head.weight'], official['head.bias']
    official.update({'head.fc1.weight': torch.randn(4 * width, width),
                     'head.fc2.weight': torch.randn(1000, 4 * width)})
    return official


def _poolformer_official(model: nn.Module) -> dict:
    from test_metaformer import poolformer_official
    return poolformer_official(random_state(model, 2, head=False),
                               model.embed_dims[-1])


def _van_official(model: nn.Module) -> dict:
    from test_van import official_layout
    return official_layout(random_state(model, 2, head=False),
                           model.embed_dims[-1])


def _replknet_official(model: nn.Module) -> dict:
    """Small random weights (31x31 kernels amplify), the official final BN
    and head."""
    state = {k: v * 0.1 if v.is_floating_point() and
             not k.endswith('running_var') else v
             for k, v in random_state(model, 2, head=False).items()}
    width = model.embed_dims[-1]
    state.update({'norm.weight': torch.randn(width),
                  'norm.bias': torch.randn(width),
                  'norm.running_mean': torch.randn(width),
                  'norm.running_var': torch.rand(width) + 0.5,
                  'head.weight': torch.randn(1000, width),
                  'head.bias': torch.randn(1000)})
    return state


def _valid_statistics(state: dict) -> dict:
    """A family helper's unit-variance random state with positive BN
    variances and the other values scaled down, so that deep models stay
    finite."""
    return {k: v.abs() + 0.5 if k.endswith('running_var') else
            v * 0.1 if v.is_floating_point() else v
            for k, v in state.items()}


def _slak_official(model: nn.Module) -> dict:
    from test_slak import official_classification_state
    return _valid_statistics(official_classification_state(model))


def _unireplknet_official(model: nn.Module) -> dict:
    from test_unireplknet import official_state
    return _valid_statistics(official_state(model, classifier=True))


def _internimage_official(model: nn.Module) -> dict:
    from test_internimage import official_state_dict
    return official_state_dict(model)


# --arch, a builder of its official-layout state dict (family test helpers
# invert each family's checkpoint_filter), and whether the official
# classifier is linear (kept by --keep-head). The families in
# CLASSIFIER_NORM have a final ``norm`` in their official classifier: the
# dense backbone does not load it (as the official dense code), so its last
# output norm stays fresh; the classification form loads it.
OFFICIAL_LAYOUTS = [
    ('convnext-atto', _convnext_official, True),
    ('convnextv2-atto', _convnext_official, True),
    ('focalnet-t-srf', _focalnet_official, True),
    ('inceptionnext-atto', _inceptionnext_official, False),
    ('hornet-tiny', _hornet_official, True),
    ('convformer-s18', _convformer_official, False),
    ('poolformer-s12', _poolformer_official, True),
    ('van-b0', _van_official, True),
    ('replknet-31b', _replknet_official, True),
    ('slak-tiny', _slak_official, True),
    ('unireplknet-atto', _unireplknet_official, True),
    ('internimage-t', _internimage_official, False),
]


CLASSIFIER_NORM = ('convnext', 'focalnet', 'poolformer', 'hornet',
                   'convformer', 'slak', 'unireplknet')


@pytest.mark.parametrize('arch,layout,linear_head', OFFICIAL_LAYOUTS,
                         ids=[a for a, _, _ in OFFICIAL_LAYOUTS])
def test_every_family_converts_to_identical_outputs(tmp_path, arch, layout,
                                                    linear_head, capsys):
    from mmcnn.analysis import resolve_backbone
    cls, name = resolve_backbone(arch)
    source = cls(arch=name, out_indices=(3, ))
    official = layout(source)
    src = tmp_path / 'official.pth'
    torch.save({'model': official, 'epoch': 299}, src)
    dst = tmp_path / 'converted.pth'
    tool.main([str(src), str(dst), '--arch', arch])
    # The converter checks against all four outputs; the official files
    # hold the norm of the last one only.
    used = len(cls(arch=name, out_indices=(3, )).state_dict())
    classifier_norm = arch.startswith(CLASSIFIER_NORM)
    if classifier_norm:
        used -= 2  # norm3.weight and norm3.bias
    every = len(cls(arch=name).state_dict())
    report = capsys.readouterr().out
    assert f'{used} of {every} backbone tensors matched' in report
    assert '0 unused' in report
    written = load_checkpoint_file(str(dst))['state_dict']
    if classifier_norm:
        # kept under its official name: loading applies the rule
        assert torch.equal(written['norm.weight'], official['norm.weight'])

    direct = cls(arch=name, out_indices=(3, ))
    loaded = load_pretrained(direct, str(src),
                             checkpoint_filter=direct.convert_checkpoint)
    # every tensor of the release file is loaded or named in the report
    assert len(loaded.loaded) + sum(
        len(g.keys) for g in loaded.dropped) == len(official)
    assert ('classifier norm' in [g.what for g in loaded.dropped]
            ) is ('norm.weight' in official)
    converted = cls(arch=name, out_indices=(3, ), init_cfg=dict(
        type='Pretrained', checkpoint=str(dst), strict=not classifier_norm))
    converted.init_weights()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(direct.eval()(x)[0], converted.eval()(x)[0])
    if linear_head:
        tool.main([str(src), str(tmp_path / 'cls.pth'), '--arch', arch,
                   '--keep-head'])
        kept = load_checkpoint_file(str(tmp_path / 'cls.pth'))['state_dict']
        assert torch.equal(kept['head.fc.weight'], official['head.weight'])
        if classifier_norm:
            # converted in the classification form: norm3 is the
            # classifier's norm
            assert torch.equal(kept['backbone.norm3.weight'],
                               official['norm.weight'])
    else:
        with pytest.raises(SystemExit, match='not a linear layer'):
            tool.main([str(src), str(tmp_path / 'cls.pth'), '--arch', arch,
                       '--keep-head'])

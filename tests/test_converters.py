"""tools/model_converters/convert_official.py on official-layout files."""
import argparse
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
import torch
from torch import nn

from mmcnn.models import MogaNet
from mmcnn.utils.checkpoint import load_checkpoint_file

ROOT = Path(__file__).resolve().parents[1]
CLS_CONFIG = ROOT / 'configs' / 'cls' / 'moganet' / 'moganet-xt_8xb128_in1k.py'


def _load_tool() -> ModuleType:
    path = ROOT / 'tools' / 'model_converters' / 'convert_official.py'
    spec = importlib.util.spec_from_file_location('convert_official', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def random_state(model: nn.Module, seed: int) -> dict:
    """The model's keys with random values, plus an official linear head."""
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for key, value in model.state_dict().items():
        if key.endswith('running_var'):
            state[key] = torch.rand(value.shape, generator=gen) + 0.5
        elif value.is_floating_point():
            state[key] = torch.randn(value.shape, generator=gen) * 0.2
        else:
            state[key] = value.clone()
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
    with pytest.raises(SystemExit, match='no "state_dict_ema"'):
        tool.main([str(bare), str(tmp_path / 'x.pth'), '--family',
                   'moganet', '--arch', 'xtiny', '--ema'])
    tool.main([str(bare), str(tmp_path / 'x.pth'), '--family', 'moganet',
               '--arch', 'xtiny'])
    out = capsys.readouterr().out
    assert "MogaNet 'xtiny': 0 of" in out and '1 unused' in out

"""The newcomer's test: a backbone added as a project (one file and one
config) builds through ``type='mmcnn.TinyNet'`` after ``custom_imports``,
follows the contract, and mmcnn's analysis and tools measure it unchanged."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS

from mmcnn.analysis import analyze, build_backbone_model
from tools.analysis_tools import benchmark, get_flops

CONFIG = str(Path(__file__).resolve().parents[1] / 'configs' /
             'tinynet-a_8xb128_in1k.py')


@pytest.fixture(scope='module')
def cfg() -> Config:
    """The project's config; loading it runs its ``custom_imports``."""
    return Config.fromfile(CONFIG)


def test_builds_by_scoped_name_and_follows_the_contract(cfg):
    model = MODELS.build(dict(type='mmcnn.TinyNet', out_indices=(1, 3),
                              frozen_stages=1))
    assert type(model).__name__ == 'TinyNet'
    outs = model(torch.randn(2, 3, 64, 96))
    assert [tuple(o.shape) for o in outs] == [(2, 16, 8, 12), (2, 64, 2, 3)]

    model.train()
    frozen = model.downsample_layers[0].weight
    assert not frozen.requires_grad and not model.stages[0].training
    assert model.stages[1].training

    custom = MODELS.build(dict(type='mmcnn.TinyNet', arch=dict(
        widths=[4, 8], depths=[1, 1]), out_indices=(-1, )))
    assert custom(torch.randn(1, 3, 32, 32))[0].shape == (1, 8, 4, 4)


def test_deploy_form_is_the_switched_form(cfg):
    model = MODELS.build(dict(type='mmcnn.TinyNet')).eval()
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        before = model(x)
        model.switch_to_deploy()
        after = model(x)
    for a, b in zip(before, after):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    built = MODELS.build(dict(type='mmcnn.TinyNet', deploy=True))
    built.load_state_dict(model.state_dict(), strict=True)


def test_analysis_and_tools_measure_it_unchanged(cfg, capsys):
    model = build_backbone_model('tinynet-a', num_classes=0, size=(64, 64))
    report = analyze(model, (torch.randn(1, 3, 64, 64), ))
    assert report.params == sum(p.numel() for p in model.parameters())
    assert report.flops > 0

    by_name = get_flops.main(['--arch', 'tinynet-a', '--shape', '64'])
    by_config = get_flops.main([CONFIG, '--shape', '64'])
    # By name: the backbone with GAP and a 1000-way linear head, the
    # config's classifier.
    assert (by_config.params, by_config.flops) == (by_name.params,
                                                   by_name.flops)
    results = benchmark.main([
        '--arch', 'tinynet-a', '--compare', 'tinynet-a:deploy', '--shape',
        '64', '--rounds', '1', '--iters', '1', '--warmup', '0',
        '--no-flops', '--device', 'cpu'
    ])
    assert [r.spec.label for r in results] == ['tinynet-a',
                                               'tinynet-a:deploy']
    capsys.readouterr()

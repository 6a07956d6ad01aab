"""MogaNet backbone: sizes, outputs, the backbone contract, checkpoints."""
import pytest
import torch
from torch import nn

from mmcnn.models import MogaNet
from mmcnn.utils import CheckpointError

# Backbone parameters (classifier excluded) of the official implementation.
PARAMS_M = {
    'xtiny': 2.763, 'tiny': 4.940, 'small': 24.823, 'base': 43.207,
    'large': 81.840, 'xlarge': 180.031,
}


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize('arch', sorted(PARAMS_M))
def test_param_counts(arch):
    model = MogaNet(arch=arch)
    assert round(count_params(model) / 1e6, 3) == PARAMS_M[arch]


def test_outputs_non_square():
    model = MogaNet(arch='xtiny').eval()
    with torch.no_grad():
        outs = model(torch.randn(2, 3, 96, 160))
    widths = MogaNet.arch_zoo['xtiny']['embed_dims']
    assert [tuple(o.shape) for o in outs] == [
        (2, w, 96 // s, 160 // s) for w, s in zip(widths, (4, 8, 16, 32))]


def test_out_indices_subset_and_negative():
    model = MogaNet(arch='xtiny', out_indices=(-1, 1)).eval()
    outs = model(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == [64, 192]


def test_frozen_stages_stay_frozen_after_train():
    model = MogaNet(arch='xtiny', frozen_stages=2)
    model.train()
    for i in range(4):
        params = [p for m in model.stage_modules(i) for p in m.parameters()]
        assert all(p.requires_grad is (i >= 2) for p in params)
        norms = [m for mod in model.stage_modules(i) for m in mod.modules()
                 if isinstance(m, nn.BatchNorm2d)]
        assert all(m.training is (i >= 2) for m in norms)


def test_norm_eval_keeps_running_stats():
    model = MogaNet(arch='xtiny', norm_eval=True)
    model.train()
    before = model.norm1.running_mean.clone()
    model(torch.randn(2, 3, 64, 64))
    assert torch.equal(before, model.norm1.running_mean)
    assert model.blocks1[0].norm1.training is False


def test_drop_path_rates_increase():
    model = MogaNet(arch='xtiny', drop_path_rate=0.3)
    rates = [b.drop_path.drop_prob for i in range(1, 5)
             for b in getattr(model, f'blocks{i}')
             if not isinstance(b.drop_path, nn.Identity)]
    assert rates == sorted(rates) and rates[-1] == pytest.approx(0.3)


def test_custom_arch_and_errors():
    model = MogaNet(arch=dict(embed_dims=[16, 32, 48, 64], depths=[1, 1, 1, 1],
                              ffn_ratios=[2, 2, 2, 2]))
    assert [o.shape[1] for o in model(torch.randn(1, 3, 64, 64))] == [
        16, 32, 48, 64]
    with pytest.raises(KeyError, match='Valid names'):
        MogaNet(arch='gigantic')
    with pytest.raises(KeyError, match='lacks keys'):
        MogaNet(arch=dict(embed_dims=[16, 32, 48, 64], depths=[1, 1, 1, 1]))
    with pytest.raises(ValueError, match='divisible by 8'):
        MogaNet(arch=dict(embed_dims=[12, 32, 48, 64], depths=[1, 1, 1, 1],
                          ffn_ratios=[2, 2, 2, 2]))
    with pytest.raises(ValueError, match='out_indices'):
        MogaNet(arch='xtiny', out_indices=(4, ))
    with pytest.raises(ValueError, match='frozen_stages'):
        MogaNet(arch='xtiny', frozen_stages=5)
    with pytest.raises(ValueError, match='in_channels'):
        MogaNet(arch='xtiny')(torch.randn(1, 1, 64, 64))


def official_layout_state_dict(model: MogaNet) -> dict:
    """A state dict shaped like an official classification checkpoint."""
    state = {k: torch.randn_like(v) if v.is_floating_point() else v
             for k, v in model.state_dict().items()}
    state['head.weight'] = torch.randn(1000, model.embed_dims[-1])
    state['head.bias'] = torch.randn(1000)
    return state


@pytest.mark.parametrize('entry', ['state_dict', 'state_dict_ema', 'model'])
def test_official_checkpoint_loads_through_init_cfg(tmp_path, entry):
    import argparse
    source = MogaNet(arch='xtiny')
    state = official_layout_state_dict(source)
    path = tmp_path / 'moganet_xtiny_sz224_8xbs128_ep300.pth.tar'
    torch.save({entry: state, 'args': argparse.Namespace(model='moganet'),
                'epoch': 299}, path)
    model = MogaNet(arch='xtiny', init_cfg=dict(type='Pretrained',
                                                checkpoint=str(path)))
    model.init_weights()
    loaded = model.state_dict()
    for key, value in loaded.items():
        assert torch.equal(value, state[key]), key


def test_strict_loading_names_offending_keys(tmp_path):
    path = tmp_path / 'small.pth'
    torch.save({'state_dict': MogaNet(arch='small').state_dict()}, path)
    model = MogaNet(arch='xtiny', init_cfg=dict(
        type='Pretrained', checkpoint=str(path), strict=True))
    with pytest.raises(CheckpointError, match='shape mismatch.*patch_embed1'):
        model.init_weights()

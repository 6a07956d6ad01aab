"""Whole-model channels-last execution (``channels_last`` of every family):
the same outputs as NCHW execution, converted once at the input."""
import pytest
import torch

from mmcnn.registry import MODELS

SMALLEST = {
    'MogaNet': 'xtiny',
    'ConvNeXt': 'atto',
    'ConvNeXtV2': 'atto',
    'InceptionNeXt': 'atto',
    'RepLKNet': '31b',
    'SLaK': 'tiny',
    'UniRepLKNet': 'atto',
    'InternImage': 't',
    'VAN': 'b0',
    'HorNet': 'tiny',
    'FocalNet': 'tiny-srf',
    'PoolFormer': 's12',
    'ConvFormer': 's18',
}


def build(name: str, channels_last) -> torch.nn.Module:
    torch.manual_seed(0)
    return MODELS.build(dict(type=name, arch=SMALLEST[name],
                             channels_last=channels_last)).eval()


@pytest.mark.parametrize('name', sorted(SMALLEST))
def test_channels_last_matches_nchw(name):
    nchw, fast = build(name, False), build(name, None)
    fast.load_state_dict(nchw.state_dict())
    x = torch.randn(1, 3, 64, 96)
    assert not fast.prepare_input(x).is_contiguous()
    assert fast.prepare_input(x).is_contiguous(
        memory_format=torch.channels_last)
    assert nchw.prepare_input(x) is x
    with torch.no_grad():
        expected, actual = nchw(x), fast(x)
    assert len(expected) == len(actual) == 4
    for a, b in zip(actual, expected):
        assert a.shape == b.shape
        scale = b.abs().max().clamp_min(1e-6)
        assert float((a - b).abs().max() / scale) < 1e-4

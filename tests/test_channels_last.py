"""Whole-model channels-last execution (``channels_last`` of every family):
the same outputs as NCHW execution, converted once at the input."""
import pytest
import torch

from mmcnn.models.layers import PointwiseLinear
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


@pytest.mark.parametrize('contiguous', [True, False])
def test_pointwise_linear_equals_linear(contiguous):
    torch.manual_seed(0)
    layer = PointwiseLinear(24, 10)
    reference = torch.nn.Linear(24, 10)
    reference.load_state_dict(layer.state_dict())
    x = (torch.randn(2, 9, 7, 24)
         if contiguous else torch.randn(2, 24, 9, 7).permute(0, 2, 3, 1))
    x.requires_grad_(True)
    out, expected = layer(x), reference(x)
    assert out.shape == (2, 9, 7, 10)
    torch.testing.assert_close(out, expected)
    grads = torch.autograd.grad(out.square().sum(), [x, *layer.parameters()])
    ref_grads = torch.autograd.grad(expected.square().sum(),
                                    [x, *reference.parameters()])
    for a, b in zip(grads, ref_grads):
        torch.testing.assert_close(a, b)


def test_pointwise_linear_traces_as_a_linear_layer():
    graph = torch.jit.trace(PointwiseLinear(8, 4),
                            torch.randn(1, 5, 5, 8)).inlined_graph
    kinds = {node.kind() for node in graph.nodes()}
    assert 'aten::linear' in kinds and 'aten::_convolution' not in kinds

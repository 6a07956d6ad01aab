"""Execution forms of every family that must not change results:
whole-model channels-last execution (converted once at the input) equals
NCHW execution, and the in-place inference path (autograd off) equals the
autograd path, in the training and the deploy form."""
import pytest
import torch
from _helpers import FAMILIES, smallest_arch

from mmcnn.models.layers import PointwiseLinear
from mmcnn.registry import MODELS


def build(name: str, channels_last) -> torch.nn.Module:
    torch.manual_seed(0)
    return MODELS.build(dict(type=name, arch=smallest_arch(name),
                             channels_last=channels_last)).eval()


@pytest.mark.parametrize('name', FAMILIES)
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


@pytest.mark.parametrize('deploy', [False, True])
@pytest.mark.parametrize('name', FAMILIES)
def test_in_place_inference_path_matches_autograd_path(name, deploy):
    model = build(name, None)
    torch.manual_seed(1)
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() <= 1 or param.shape[0] == 1:
                param.uniform_(0.1, 0.5)  # scales far from their 1e-6 init
    if deploy:
        try:
            model.switch_to_deploy()
        except NotImplementedError:
            pytest.skip(f'{name} has no deploy form')
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        fast = model(x)
    reference = model(x)
    assert reference[-1].requires_grad
    for a, b in zip(fast, reference):
        scale = b.abs().max().clamp_min(1e-6)
        assert float((a - b.detach()).abs().max() / scale) < 1e-5


@pytest.mark.parametrize('size', [(9, 7), (16, 13)])  # GEMM, 1x1 conv
@pytest.mark.parametrize('contiguous', [True, False])
def test_pointwise_linear_equals_linear(contiguous, size):
    torch.manual_seed(0)
    layer = PointwiseLinear(24, 10)
    reference = torch.nn.Linear(24, 10)
    reference.load_state_dict(layer.state_dict())
    x = (torch.randn(2, *size, 24)
         if contiguous else torch.randn(2, 24, *size).permute(0, 2, 3, 1))
    x.requires_grad_(True)
    out, expected = layer(x), reference(x)
    assert out.shape == (2, *size, 10)
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


@pytest.mark.parametrize('size,op', [((9, 7), 'aten::addmm'),
                                     ((16, 13), 'aten::convolution')])
def test_pointwise_linear_routes_by_map_size(size, op):
    layer = PointwiseLinear(24, 10)
    x = torch.randn(2, *size, 24)
    with torch.no_grad(), torch.profiler.profile() as prof:
        layer(x)
    ops = {event.name for event in prof.events()}
    other = ({'aten::addmm', 'aten::convolution'} - {op}).pop()
    assert op in ops and other not in ops

"""DepthwiseConv2d: every algorithm equals PyTorch's NCHW conv2d, forward
and backward; selection, caching, forcing, tracing and layouts."""
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmcnn.models import ConvNeXt, RepLKNet, SLaK, UniRepLKNet
from mmcnn.models.layers import DepthwiseConv2d, force_algorithm
from mmcnn.models.layers import dwconv

CL = torch.channels_last
RTOL = 1e-4

# (N, C, H, W, (kh, kw), dilation, stride, padding or None for "same")
CASES = [
    (2, 3, 9, 7, (3, 3), 1, 1, None),
    (1, 2, 17, 23, (5, 5), 2, 1, None),
    (2, 4, 15, 12, (7, 7), 3, 1, None),
    (2, 2, 13, 21, (7, 7), 1, 1, None),
    (1, 3, 19, 11, (13, 13), 1, 1, None),
    (2, 2, 10, 14, (13, 13), 1, 1, (2, 4)),
    (1, 2, 20, 9, (31, 31), 1, 1, None),
    (1, 2, 11, 33, (51, 51), 1, 1, None),
    (1, 3, 30, 13, (51, 5), 1, 1, None),
    (1, 3, 13, 30, (5, 51), 1, 1, None),
    (2, 4, 9, 25, (1, 11), 1, 1, None),
    (2, 4, 25, 9, (11, 1), 1, 1, None),
    (1, 2, 16, 11, (9, 9), 1, 2, None),
    (2, 3, 15, 14, (3, 3), 1, 2, None),
]


def _relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    return float((actual - expected).abs().max().detach()
                 / expected.abs().max().detach())


def _reference(x, weight, bias, stride, padding, dilation, grad):
    leaves = [t.detach().requires_grad_() for t in (x, weight, bias)]
    out = F.conv2d(leaves[0], leaves[1], leaves[2], stride, padding,
                   dilation, weight.shape[0])
    return (out, ) + torch.autograd.grad(out, leaves, grad)


@pytest.mark.parametrize('case', CASES, ids=lambda c: f'{c[4]}d{c[5]}s{c[6]}')
@pytest.mark.parametrize('channels_last', [False, True])
def test_every_algorithm_matches_nchw_conv2d(case, channels_last):
    n, c, h, w, kernel, dilation, stride, padding = case
    if padding is None:
        padding = tuple(dilation * (k - 1) // 2 for k in kernel)
    torch.manual_seed(sum(kernel) + h)
    x = torch.randn(n, c, h, w)
    weight = torch.randn(c, 1, *kernel) / kernel[0]
    bias = torch.randn(c)
    expected_x = x
    if channels_last:
        x = x.contiguous(memory_format=CL)
    grad = torch.randn(F.conv2d(expected_x, weight, bias, stride, padding,
                                dilation, c).shape)
    expected = _reference(expected_x, weight, bias, stride, padding,
                          dilation, grad)
    supported = dwconv.supported_algorithms(x, weight, (stride, stride),
                                            padding, (dilation, dilation))
    assert ('fft' in supported) == (stride == 1)
    assert ('compiled_wgrad' in supported) == (stride == 1), (
        'the compiled CPU kernels are built by make env')
    for algorithm in supported + ['auto']:
        leaves = [t.detach().requires_grad_() for t in (x, weight, bias)]
        out = dwconv.depthwise_conv2d(*leaves, stride, padding, dilation,
                                      algorithm)
        grads = torch.autograd.grad(out, leaves, grad)
        for name, actual, ref in zip(('out', 'x', 'w', 'b'),
                                     (out, ) + grads, expected):
            assert actual.shape == ref.shape
            assert _relative_error(actual, ref) < RTOL, (algorithm, name)
        if channels_last and algorithm != 'direct':
            assert out.is_contiguous(memory_format=CL), algorithm


def test_layer_is_a_drop_in_conv2d():
    conv = nn.Conv2d(6, 6, (7, 5), padding=(6, 4), dilation=2, groups=6)
    layer = DepthwiseConv2d(6, (7, 5), dilation=2)
    assert isinstance(layer, nn.Conv2d)
    assert layer.padding == conv.padding and layer.groups == 6
    assert layer.state_dict().keys() == conv.state_dict().keys()
    layer.load_state_dict(conv.state_dict())
    x = torch.randn(2, 6, 12, 17)
    with torch.no_grad():
        assert _relative_error(layer(x), conv(x)) < RTOL
    shared = DepthwiseConv2d.from_conv(conv)
    assert shared.weight is conv.weight and shared.bias is conv.bias
    with pytest.raises(ValueError, match='depth-wise'):
        DepthwiseConv2d.from_conv(nn.Conv2d(4, 8, 3, groups=4))
    no_bias = DepthwiseConv2d(3, 5, bias=False)
    assert no_bias.bias is None and list(no_bias.state_dict()) == ['weight']


def test_same_padding_string():
    conv = nn.Conv2d(4, 4, (5, 3), padding='same', dilation=3, groups=4)
    layer = DepthwiseConv2d(4, (5, 3), padding='same', dilation=3)
    layer.load_state_dict(conv.state_dict())
    x = torch.randn(1, 4, 11, 16)
    with torch.no_grad():
        assert _relative_error(layer(x), conv(x)) < RTOL
        functional = dwconv.depthwise_conv2d(x, conv.weight, conv.bias,
                                             padding='same', dilation=3,
                                             algorithm='fft')
    assert _relative_error(functional, conv(x)) < RTOL
    with pytest.raises(ValueError, match='odd'):
        DepthwiseConv2d(4, 4, padding='same')


def test_auto_choice_is_cached_per_key_and_forcing_overrides_it():
    dwconv.clear_algorithm_cache()
    layer = DepthwiseConv2d(4, 31).eval()
    x = torch.randn(1, 4, 20, 20).contiguous(memory_format=CL)
    with torch.no_grad():
        first = layer(x)
        cache = dwconv.algorithm_cache()
        assert len(cache) == 1
        (key, (choice, timings)), = cache.items()
        assert choice in timings and choice in dwconv.ALGORITHMS
        assert key[3] == (31, 31) and key[8] == 4
        assert key[11] is False and key[12] is True  # inference, compiled kernels in
        layer(x)
        assert len(dwconv.algorithm_cache()) == 1
        layer(torch.randn(1, 4, 20, 20))
        assert len(dwconv.algorithm_cache()) == 2
    layer.train()
    x.requires_grad_()
    layer(x).sum().backward()
    train_keys = [k for k in dwconv.algorithm_cache() if k[11]]
    assert len(train_keys) == 1
    for algorithm in ('fft', 'channels_last'):
        with torch.no_grad(), force_algorithm(algorithm):
            assert _relative_error(layer(x), first) < RTOL
    with force_algorithm('fft'):
        assert dwconv.selection.forced_algorithm() == 'fft'
    assert dwconv.selection.forced_algorithm() is None
    with pytest.raises(ValueError, match='Unknown'):
        with force_algorithm('winograd'):
            pass
    with pytest.raises(ValueError, match='Unknown'):
        DepthwiseConv2d(4, 3, algorithm='winograd')


def test_sizes_within_a_bucket_share_one_trial():
    """Multi-scale training: maps whose areas lie within a quarter octave
    share a choice; narrow maps keep their exact size."""
    dwconv.clear_algorithm_cache()
    layer = DepthwiseConv2d(4, 7).eval()
    with torch.no_grad():
        for h, w in ((40, 30), (38, 31), (41, 29), (40, 60), (5, 30),
                     (6, 30)):
            layer(torch.randn(1, 4, h, w).contiguous(memory_format=CL))
    sizes = sorted(key[7] for key in dwconv.algorithm_cache())
    area = math.ceil(4 * math.log2(40 * 30))
    assert sizes == sorted([(area, ), (area + 4, ), (5, 30), (6, 30)])
    dwconv.clear_algorithm_cache()


def test_choices_persist_in_the_machine_file(tmp_path, monkeypatch):
    """A second process (here: a cleared cache) reads the choice from the
    file instead of timing it; a corrupt file counts as empty; ``off``
    writes nothing."""
    monkeypatch.setenv('MMCNN_DWCONV_CACHE', str(tmp_path))
    dwconv.clear_algorithm_cache()
    layer = DepthwiseConv2d(3, 13).eval()
    x = torch.randn(1, 3, 24, 20).contiguous(memory_format=CL)
    with torch.no_grad():
        expected = layer(x)
    (choice, timings), = dwconv.algorithm_cache().values()
    assert timings, 'the first call must run a timed trial'
    path = dwconv.cache_file()
    assert path.startswith(str(tmp_path)) and osp.isfile(path)

    def no_trial(*args, **kwargs):
        raise AssertionError('timed a choice the file already holds')

    dwconv.clear_algorithm_cache()
    with monkeypatch.context() as patch, torch.no_grad():
        patch.setattr(dwconv.selection, '_time_once', no_trial)
        assert torch.equal(layer(x), expected)
    assert list(dwconv.algorithm_cache().values()) == [(choice, {})]

    with open(path, 'w') as f:
        f.write('{not json')
    dwconv.clear_algorithm_cache()
    with torch.no_grad():
        layer(x)
    (_, timings), = dwconv.algorithm_cache().values()
    assert timings, 'a corrupt file must not supply a choice'

    monkeypatch.setenv('MMCNN_DWCONV_CACHE', 'off')
    assert dwconv.cache_file() is None
    dwconv.clear_algorithm_cache()
    with torch.no_grad():
        layer(torch.randn(1, 3, 60, 50))
    dwconv.clear_algorithm_cache()


def test_deterministic_mode_skips_the_timed_trial():
    """No timing in deterministic mode: the fixed first candidate runs."""
    dwconv.clear_algorithm_cache()
    layer = DepthwiseConv2d(4, 31).eval()
    x = torch.randn(1, 4, 20, 20)
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        with torch.no_grad():
            out = layer(x)
    finally:
        torch.use_deterministic_algorithms(before)
    (key, (choice, timings)), = dwconv.algorithm_cache().items()
    assert timings == {}
    assert choice == dwconv.selection._candidates(x, layer.weight, (1, 1), (15, 15),
                                                  (1, 1), False)[0]
    assert _relative_error(out, F.conv2d(x, layer.weight, layer.bias,
                                         padding=15, groups=4)) < RTOL
    dwconv.clear_algorithm_cache()


def test_forced_fft_falls_back_to_direct_where_inapplicable():
    layer = DepthwiseConv2d(3, 5, stride=2).eval()
    x = torch.randn(1, 3, 16, 16)
    with torch.no_grad(), force_algorithm('fft'):
        out = layer(x)
    assert out.is_contiguous()
    assert _relative_error(out, F.conv2d(x, layer.weight, layer.bias, 2, 2,
                                         1, 3)) < RTOL


def test_dead_taps_are_cropped_exactly():
    weight = torch.randn(2, 1, 51, 5)
    cropped, padding = dwconv.crop_dead_taps(weight, (9, 20), (25, 2),
                                             (1, 1))
    assert cropped.shape[-2:] == (17, 5) and padding == (8, 2)
    same, same_padding = dwconv.crop_dead_taps(weight, (40, 20), (25, 2),
                                               (1, 1))
    assert same is weight and same_padding == (25, 2)
    x = torch.randn(1, 2, 9, 20)
    assert _relative_error(F.conv2d(x, cropped, None, 1, padding, 1, 2),
                           F.conv2d(x, weight, None, 1, (25, 2), 1, 2)) < 1e-6


def test_fft_spectrum_cache_follows_weight_updates():
    layer = DepthwiseConv2d(3, 13, algorithm='fft').eval()
    x = torch.randn(2, 3, 15, 11)
    with torch.no_grad():
        before = layer(x)
        assert 'spectrum' in layer._spectra
        assert torch.equal(layer(x), before)
        layer.weight.mul_(2)
        after = layer(x)
    assert _relative_error(after - layer.bias.view(1, -1, 1, 1),
                           2 * (before - layer.bias.view(1, -1, 1, 1))) < RTOL
    layer.train()
    layer(x).sum().backward()
    assert layer._spectra == {}
    assert layer.weight.grad is not None


def test_tracing_and_meta_tensors_see_a_plain_convolution():
    layer = DepthwiseConv2d(4, 31, algorithm='fft').eval()
    x = torch.randn(1, 4, 20, 20)
    traced = torch.jit.trace(layer, (x, ), check_trace=False)
    graph = str(traced.graph)
    assert 'aten::_convolution' in graph and 'fft' not in graph
    meta = layer.to('meta')(torch.empty(2, 4, 20, 20, device='meta'))
    assert meta.shape == (2, 4, 20, 20)


@pytest.mark.parametrize('build', [
    lambda: ConvNeXt(arch='atto'),
    lambda: RepLKNet(arch=dict(large_kernel_sizes=[13, 11, 9, 7],
                               depths=[1, 1, 1, 1],
                               embed_dims=[8, 16, 24, 32])),
    lambda: SLaK(arch=dict(depths=[1, 1, 1, 1], embed_dims=[8, 16, 24, 32],
                           kernel_sizes=[21, 15, 11, 7])),
    lambda: UniRepLKNet(arch='atto'),
], ids=['convnext', 'replknet', 'slak', 'unireplknet'])
def test_channels_last_models_match_their_nchw_direct_form(build):
    torch.manual_seed(0)
    model = build().eval()
    x = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        with force_algorithm('direct'):
            expected = model(x)
        model.to(memory_format=CL)
        actual = model(x.contiguous(memory_format=CL))
        with force_algorithm('fft'):
            via_fft = model(x)
    for out, ref, fft in zip(actual, expected, via_fft):
        assert out.is_contiguous(memory_format=CL)
        assert _relative_error(out, ref) < RTOL
        assert _relative_error(fft, ref) < RTOL


def test_training_step_gradients_match_across_algorithms():
    """In float64: the stem's gradient passes through layer norms whose
    cancellations amplify float32 rounding far beyond 1e-4."""
    torch.manual_seed(0)
    model = SLaK(arch=dict(depths=[1, 1, 1, 1], embed_dims=[8, 16, 24, 32],
                           kernel_sizes=[21, 15, 11, 7]),
                 layer_scale_init_value=1.).train().double()
    x = torch.randn(2, 3, 64, 64, dtype=torch.float64)
    grads = {}
    for algorithm in ('direct', 'fft', 'channels_last_wgrad',
                      'compiled_wgrad', None):
        model.zero_grad()
        with force_algorithm(algorithm):
            sum(o.square().mean() for o in model(x)).backward()
        grads[algorithm] = {name: p.grad.clone()
                            for name, p in model.named_parameters()}
    kernels = [name for name, m in model.named_modules()
               if isinstance(m, DepthwiseConv2d)]
    assert len(kernels) == 12
    for algorithm in ('fft', 'channels_last_wgrad', 'compiled_wgrad', None):
        for name, grad in grads['direct'].items():
            assert grad.abs().max() > 0, name
            assert _relative_error(grads[algorithm][name], grad) < 1e-9, (
                algorithm, name)


def _reference_script():
    import importlib.util
    import os.path as osp
    path = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                    'benchmarks', 'reference.py')
    spec = importlib.util.spec_from_file_location('reference_bench', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reference_benchmark_dwconv_table_names_the_pick():
    bench = _reference_script()
    rows = bench.main(['--dwconv-table', '--threads', '1', '--rounds', '1',
                       '--dwconv-shapes', '1x4x12:9x9', '1x4x12:5x5:2'])
    assert len(rows) == 4
    for row in rows[2:]:
        cells = [c.strip() for c in row.strip('|').split('|')]
        assert cells[0] == '1x4x12x12' and cells[-1] in dwconv.ALGORITHMS
        assert all(float(t) > 0 for t in cells[2:-1] if t != '-')


@pytest.mark.parametrize('name,ref', [('convnext-tiny', 'timm:convnext_tiny'),
                                      ('van-b0', 'mmpretrain:VAN:tiny'),
                                      ('slak-tiny', 'eager')])
def test_reference_benchmark_compares_equal_architectures(name, ref):
    bench = _reference_script()
    args = bench.parse_args([])
    label, model, forced = bench.build_reference(name, ref, args)
    theirs, mine = bench.params_m(model), bench.params_m(
        bench.build_backbone(name))
    # Equal up to the output norms of mmcnn's dense-prediction backbones.
    assert abs(theirs - mine) < 1e-3 * mine
    assert forced == ('direct' if ref == 'eager' else None)

"""mmcnn's compiled CPU kernels (mmcnn.ops) against PyTorch: DCNv3 equal to
mmcnn's PyTorch path in forward and gradients, the depth-wise kernel
gradient equal to autograd's, the depth-wise forward (with its fused GELU,
MogaNet's one-channel projection after it, and its fc1 before it) equal to
conv2d (and F.gelu, and the 1x1 convs); switched off by MMCNN_CPU_EXT=0,
and never loaded from a build that does not match the sources."""
from typing import List

import pytest
import torch
import torch.nn.functional as F

from mmcnn import ops
from mmcnn.models.layers import (DepthwiseConv2d, conv_act, conv_act_project,
                                 dcnv3_core, force_algorithm)
from mmcnn.models.layers.dwconv import conv as dwconv_module
from test_dcnv3 import random_inputs

# (N, H, W, C, G, kernel, stride, padding, dilation, offset_scale): odd
# sizes, group widths with and without a SIMD tail (3, 24, 16, 48).
DCNV3_CASES = [
    (1, 13, 11, 12, 4, 3, 1, 1, 1, 1.0),
    (8, 7, 9, 48, 2, 3, 1, 1, 1, 1.0),
    (8, 7, 7, 512, 32, 3, 1, 1, 1, 1.0),
    (1, 15, 10, 64, 4, 3, 2, 1, 1, 1.0),
    (1, 9, 12, 16, 1, 5, 1, 4, 2, 0.5),
    (8, 9, 8, 24, 1, 3, 1, 0, 3, 2.0),
]


def dcnv3_both(case, dtype, monkeypatch):
    """Output and gradients of (x, offset, mask), compiled and PyTorch."""
    _, _, _, _, groups, k, stride, pad, dil, scale = case
    inputs = random_inputs(case, dtype, seed=1)
    results = {}
    for flag in ('1', '0'):
        monkeypatch.setenv(ops.DISABLE_ENV, flag)
        leaves = [t.clone().requires_grad_() for t in inputs]
        with force_algorithm('compiled'):
            out = dcnv3_core(*leaves, groups, k, stride, pad, dil, scale)
        grad = torch.randn(out.shape, dtype=dtype,
                           generator=torch.Generator().manual_seed(2))
        results[flag] = (out, *torch.autograd.grad(out, leaves, grad))
    return results['1'], results['0']


@pytest.mark.parametrize('case', DCNV3_CASES)
@pytest.mark.parametrize('dtype,tol', [(torch.float64, 1e-12),
                                       (torch.float32, 2e-6)])
def test_dcnv3_kernel_equals_the_pytorch_path(case, dtype, tol, monkeypatch):
    assert ops.cpu_ops() is not None, 'python -m mmcnn.ops.build'
    compiled, pytorch = dcnv3_both(case, dtype, monkeypatch)
    for name, a, b in zip(('out', 'x', 'offset', 'mask'), compiled, pytorch):
        assert a.shape == b.shape
        error = ((a - b).abs().max() / b.abs().max()).item()
        assert error < tol, (name, error)


def test_dcnv3_kernel_gradcheck():
    case = (2, 5, 4, 6, 2, 3, 1, 1, 2, 1.0)
    inputs = tuple(t.requires_grad_() for t in random_inputs(
        case, torch.float64, seed=4))
    assert ops.cpu_ops() is not None
    with force_algorithm('compiled'):
        assert torch.autograd.gradcheck(
            lambda x, o, m: dcnv3_core(x, o, m, 2, 3, 1, 1, 2, 1.0), inputs)


def test_dcnv3_kernel_is_a_timed_choice(monkeypatch):
    """Without forcing, the first call for a shape times the kernel
    against the gather path (forward only in inference, forward and backward
    in training: two keys) and later calls run the choice: the kernel's ops
    only when it is 'compiled'; deterministic mode takes the kernel
    untimed."""
    from mmcnn.models.layers.dwconv import selection
    calls = []

    class Recorder:
        def __getattr__(self, name):
            calls.append(name)
            return getattr(ops.cpu_ops(), name)

    monkeypatch.setattr('mmcnn.models.layers.dcnv3.cpu_ops', Recorder)
    monkeypatch.setattr(selection, '_VARIANTS', {})
    x, offset, mask = random_inputs((2, 9, 7, 16, 2, 3, 1, 1, 1, 1.), seed=3)
    expected = dcnv3_core(x, offset, mask, 2)
    runs = selection.TRIAL_RUNS
    (key, first), = selection._VARIANTS.items()
    assert calls == ['dcnv3_forward'] * (runs + 1 + (first == 'compiled'))
    for choice, kernel_calls in (('compiled', ['dcnv3_forward']),
                                 ('gather', [])):
        selection._VARIANTS[key] = choice
        calls.clear()
        assert torch.allclose(dcnv3_core(x, offset, mask, 2), expected,
                              atol=1e-6)
        assert calls == kernel_calls
    leaves = [t.clone().requires_grad_() for t in (x, offset, mask)]
    calls.clear()
    dcnv3_core(*leaves, 2).sum().backward()
    assert calls.count('dcnv3_backward') >= runs
    assert len(selection._VARIANTS) == 2 and [
        k[-1] for k in selection._VARIANTS] == [False, True]
    monkeypatch.setattr(selection, '_VARIANTS', {})
    calls.clear()
    torch.use_deterministic_algorithms(True)
    try:
        dcnv3_core(x, offset, mask, 2)
    finally:
        torch.use_deterministic_algorithms(False)
    assert calls == ['dcnv3_forward']
    assert list(selection._VARIANTS.values()) == ['compiled']


def test_disabled_by_the_environment_variable(monkeypatch):
    """``MMCNN_CPU_EXT=0`` is read on every call: the op asks for the
    kernels, gets none, and runs its PyTorch path."""
    returned = []

    def spy():
        returned.append(ops.cpu_ops())
        return returned[-1]

    monkeypatch.setattr('mmcnn.models.layers.dcnv3.cpu_ops', spy)
    x, offset, mask = random_inputs((1, 5, 5, 8, 2, 3, 1, 1, 1, 1.), seed=0)
    dcnv3_core(x, offset, mask, 2)
    monkeypatch.setenv(ops.DISABLE_ENV, '0')
    dcnv3_core(x, offset, mask, 2)
    assert returned[0] is not None and returned[1] is None


def test_a_build_for_other_sources_is_not_loaded(monkeypatch, tmp_path):
    """A library whose fingerprint differs (other sources, torch or CPU),
    or one without its fingerprint file, is refused and the PyTorch paths
    run; the same library with its own fingerprint loads."""
    real = ops.fingerprint
    monkeypatch.setattr(ops, '_LOADED', [])
    assert ops.cpu_ops() is not None
    monkeypatch.setattr(ops, 'fingerprint', lambda: 'other sources')
    monkeypatch.setattr(ops, '_LOADED', [])
    assert ops.cpu_ops() is None
    monkeypatch.setattr(ops, 'fingerprint', real)
    monkeypatch.setattr(ops, 'stamp_path', lambda: str(tmp_path / 'none'))
    monkeypatch.setattr(ops, '_LOADED', [])
    assert ops.cpu_ops() is None


def test_the_build_is_valid_for_these_sources():
    with open(ops.stamp_path()) as f:
        assert f.read() == ops.fingerprint()
    assert ops.sources() and all(s.endswith('.cpp') for s in ops.sources())


# (N, C, H, W, kh, kw, dilation, padding): odd sizes, band kernels, channel
# counts with and without a register tail (20 = 16 + 4, 3), batch 1 and 8.
DWCONV_CASES = [
    (1, 20, 9, 11, 3, 3, 1, (1, 1)),
    (8, 32, 13, 12, 7, 7, 1, (3, 3)),
    (8, 48, 10, 9, 1, 11, 1, (0, 5)),
    (1, 64, 12, 7, 11, 1, 1, (5, 0)),
    (2, 16, 10, 11, 5, 5, 3, (6, 6)),
    (1, 3, 7, 9, 3, 3, 2, (0, 1)),
]


@pytest.mark.parametrize('case', DWCONV_CASES)
@pytest.mark.parametrize('dtype,tol', [(torch.float64, 1e-12),
                                       (torch.float32, 2e-6)])
def test_dwconv_weight_grad_equals_autograd(case, dtype, tol):
    n, c, h, w, kh, kw, dilation, padding = case
    gen = torch.Generator().manual_seed(c + h)
    x = torch.randn(n, c, h, w, dtype=dtype, generator=gen)
    weight = torch.randn(c, 1, kh, kw, dtype=dtype, generator=gen,
                         requires_grad=True)
    out = F.conv2d(x, weight, None, 1, padding, dilation, c)
    grad = torch.randn(out.shape, dtype=dtype, generator=gen)
    expected, = torch.autograd.grad(out, weight, grad)
    for layout in (torch.contiguous_format, torch.channels_last):
        actual = ops.cpu_ops().dwconv_weight_grad(
            x.contiguous(memory_format=layout),
            grad.contiguous(memory_format=layout), kh, kw, *padding,
            dilation, dilation)
        assert actual.shape == expected.shape
        error = ((actual - expected).abs().max() / expected.abs().max())
        assert error.item() < tol, layout


@pytest.mark.parametrize('case', DWCONV_CASES)
@pytest.mark.parametrize('dtype,tol', [(torch.float64, 1e-12),
                                       (torch.float32, 2e-6)])
@pytest.mark.parametrize('gelu', [False, True])
def test_dwconv_forward_equals_conv2d(case, dtype, tol, gelu):
    """The compiled forward (bias, and GELU fused before the store) equals
    conv2d (then F.gelu) on both layouts; the result is channels-last."""
    n, c, h, w, kh, kw, dilation, padding = case
    gen = torch.Generator().manual_seed(c + w)
    x = 3 * torch.randn(n, c, h, w, dtype=dtype, generator=gen)
    weight = torch.randn(c, 1, kh, kw, dtype=dtype, generator=gen) / kh
    bias = torch.randn(c, dtype=dtype, generator=gen)
    expected = F.conv2d(x, weight, bias, 1, padding, dilation, c)
    expected = F.gelu(expected) if gelu else expected
    for layout in (torch.contiguous_format, torch.channels_last):
        actual = ops.cpu_ops().dwconv_forward(
            x.contiguous(memory_format=layout), weight, bias, *padding,
            dilation, dilation, gelu)
        assert actual.is_contiguous(memory_format=torch.channels_last)
        error = ((actual - expected).abs().max() / expected.abs().max())
        assert error.item() < tol, layout


@pytest.mark.parametrize('case', DWCONV_CASES)
@pytest.mark.parametrize('dtype,tol', [(torch.float64, 1e-12),
                                       (torch.float32, 2e-6)])
def test_dwconv_gelu_project_equals_conv2d_gelu_and_the_1x1_conv(
        case, dtype, tol):
    """``h = GELU(dwconv(x))`` and ``d = GELU(proj(h))`` from one pass equal
    conv2d, F.gelu and a one-channel 1x1 conv (channel tails included)."""
    n, c, h, w, kh, kw, dilation, padding = case
    gen = torch.Generator().manual_seed(c * h)
    x = 3 * torch.randn(n, c, h, w, dtype=dtype, generator=gen)
    weight = torch.randn(c, 1, kh, kw, dtype=dtype, generator=gen) / kh
    bias = torch.randn(c, dtype=dtype, generator=gen)
    proj_w = torch.randn(1, c, 1, 1, dtype=dtype, generator=gen) / c**0.5
    proj_b = torch.randn(1, dtype=dtype, generator=gen)
    hidden = F.gelu(F.conv2d(x, weight, bias, 1, padding, dilation, c))
    projected = F.gelu(F.conv2d(hidden, proj_w, proj_b))
    actual_h, actual_d = ops.cpu_ops().dwconv_gelu_project(
        x, weight, bias, proj_w, float(proj_b), *padding, dilation, dilation)
    assert actual_d.shape == projected.shape == (n, 1) + hidden.shape[2:]
    for actual, expected in ((actual_h, hidden), (actual_d, projected)):
        error = ((actual - expected).abs().max() / expected.abs().max())
        assert error.item() < tol


# (C_in, N, C, H, W, kh, kw, dilation, padding) with a 1x1 conv C_in -> C
# before the depth-wise one (MogaNet's fc1): each case of DWCONV_CASES with
# a narrow or a tail input width, MogaNet-T's 32 -> 256 and 64 -> 256 on
# maps 64 pixels wide (64 or 128 KiB a row: the kernel's ring of rows
# wraps around within a map), and tiny maps (1x1, 2x3: rows and columns
# of padding only).
FC_CASES = [(c_in, ) + case
            for c_in, case in zip((3, 32, 64, 24, 5, 64), DWCONV_CASES)] + [
    (64, 1, 256, 13, 64, 3, 3, 1, (1, 1)),
    (32, 2, 256, 11, 64, 5, 5, 2, (4, 4)),
    (64, 8, 256, 2, 3, 3, 3, 3, (3, 3)),
    (32, 1, 256, 1, 1, 3, 3, 1, (1, 1)),
]


@pytest.mark.parametrize('case', FC_CASES)
@pytest.mark.parametrize('dtype,tol', [(torch.float64, 1e-12),
                                       (torch.float32, 2e-6)])
def test_dwconv_gelu_project_fc_equals_the_1x1_dwconv_gelu_1x1_gelu(
        case, dtype, tol):
    """``h = GELU(dwconv(fc(x)))`` and ``d = GELU(proj(h))`` without storing
    ``fc(x)`` equal conv2d (1x1), depth-wise conv2d, F.gelu, the one-channel
    1x1 conv and F.gelu, on both input layouts; the depth-wise conv pads
    ``fc(x)`` with zeros (a large ``fc`` bias would show ``fc(0)``). The
    error of ``d`` is relative to its pre-activation's scale: the GELU
    squashes negative values, so ``|d|`` can be far below the rounding of
    what goes in."""
    c_in, n, c, h, w, kh, kw, dilation, padding = case
    gen = torch.Generator().manual_seed(c_in * c + h)
    x = torch.randn(n, c_in, h, w, dtype=dtype, generator=gen)
    fc_w = torch.randn(c, c_in, 1, 1, dtype=dtype, generator=gen) / c_in**.5
    fc_b = 3 * torch.randn(c, dtype=dtype, generator=gen)
    weight = torch.randn(c, 1, kh, kw, dtype=dtype, generator=gen) / kh
    bias = torch.randn(c, dtype=dtype, generator=gen)
    proj_w = torch.randn(1, c, 1, 1, dtype=dtype, generator=gen) / c**0.5
    proj_b = torch.randn(1, dtype=dtype, generator=gen)
    hidden = F.gelu(F.conv2d(F.conv2d(x, fc_w, fc_b), weight, bias, 1,
                             padding, dilation, c))
    before_gelu = F.conv2d(hidden, proj_w, proj_b)
    projected = F.gelu(before_gelu)
    for layout in (torch.contiguous_format, torch.channels_last):
        actual_h, actual_d = ops.cpu_ops().dwconv_gelu_project_fc(
            x.contiguous(memory_format=layout), fc_w, fc_b, weight, bias,
            proj_w, float(proj_b), *padding, dilation, dilation)
        assert actual_h.shape == hidden.shape
        assert actual_h.is_contiguous(memory_format=torch.channels_last)
        assert actual_d.shape == projected.shape
        for actual, expected, scale in ((actual_h, hidden, hidden),
                                        (actual_d, projected, before_gelu)):
            error = (actual - expected).abs().max() / scale.abs().max()
            assert error.item() < tol, layout


@pytest.fixture
def kernel_calls(monkeypatch) -> List[str]:
    """The names of the compiled ops the depth-wise layers call, in order
    (the ops themselves run)."""
    calls: List[str] = []

    class Recorder:
        def __getattr__(self, name):
            calls.append(name)
            return getattr(ops.cpu_ops(), name)

    monkeypatch.setattr(dwconv_module, 'cpu_ops', lambda: Recorder())
    return calls


def test_conv_act_project_fuses_only_without_autograd(monkeypatch,
                                                      kernel_calls):
    """MogaNet's ``(h, GELU(decompose(h)))`` is one kernel call in inference
    with 'compiled' picked, and the same values as the separate ops; with
    gradients, an active dropout or MMCNN_CPU_EXT=0 the ops run apart (and
    gradients flow)."""
    calls = kernel_calls
    conv, proj = DepthwiseConv2d(40, 3), torch.nn.Conv2d(40, 1, 1)
    x = torch.randn(2, 40, 9, 14).contiguous(memory_format=torch.channels_last)
    gelu, still = torch.nn.GELU(), torch.nn.Dropout(0.)
    hidden = F.gelu(F.conv2d(x, conv.weight, conv.bias, 1, 1, 1, 40))
    expected = (hidden, F.gelu(proj(hidden)))

    def check(result, tol=2e-6):
        for actual, reference in zip(result, expected):
            error = (actual - reference).abs().max() / reference.abs().max()
            assert error.item() < tol

    with force_algorithm('compiled'):
        with torch.no_grad():
            check(conv_act_project(conv, x, gelu, still, proj, gelu))
        assert calls == ['dwconv_gelu_project']
        trained = conv_act_project(conv, x, gelu, still, proj, gelu)
        check(trained)
        trained[1].sum().backward()
        assert conv.weight.grad is not None and proj.weight.grad is not None
        with torch.no_grad():
            dropped = conv_act_project(conv, x, gelu, torch.nn.Dropout(0.5),
                                       proj, gelu)
        monkeypatch.setenv(ops.DISABLE_ENV, '0')
        with torch.no_grad():
            check(conv_act_project(conv, x, gelu, still, proj, gelu))
    assert calls == ['dwconv_gelu_project']
    assert (dropped[0] == 0).float().mean() > 0.3


@pytest.mark.parametrize('deploy', [False, True])
def test_moganet_ffn_runs_fc1_in_the_kernel_only_without_autograd(
        monkeypatch, kernel_calls, deploy):
    """MogaNet's FFN calls ``dwconv_gelu_project_fc`` (fc1, DW3x3, GELU and
    decompose in one kernel) exactly once per forward in inference with
    'compiled' picked, with the output of MMCNN_CPU_EXT=0; a hook on fc1
    runs fc1 apart (and the hook) before ``dwconv_gelu_project``; with
    autograd or MMCNN_CPU_EXT=0 no kernel runs."""
    from mmcnn.models.backbones.moganet import ChannelAggregationFFN
    calls = kernel_calls
    torch.manual_seed(0)
    ffn = ChannelAggregationFFN(32, 40).eval()
    for param in ffn.parameters():
        param.data.normal_(0, 0.2)
    if deploy:
        ffn.switch_to_deploy()
    x = torch.randn(2, 32, 11, 9).contiguous(memory_format=torch.channels_last)
    with force_algorithm('compiled'):
        with torch.no_grad():
            fused = ffn(x)
        assert calls == ['dwconv_gelu_project_fc']
        trained = ffn(x)
        trained.sum().backward()
        assert ffn.fc1.weight.grad is not None
        hook_calls = []
        handle = ffn.fc1.register_forward_hook(
            lambda *args: hook_calls.append(1))
        with torch.no_grad():
            hooked = ffn(x)
        handle.remove()
        assert hook_calls == [1]
        monkeypatch.setenv(ops.DISABLE_ENV, '0')
        with torch.no_grad():
            expected = ffn(x)
    assert calls == ['dwconv_gelu_project_fc', 'dwconv_gelu_project']
    for actual in (fused, trained, hooked):
        error = (actual - expected).abs().max() / expected.abs().max()
        assert error.item() < 2e-6


def test_moganet_ffn_times_fc1_inside_against_apart_once_per_shape(
        monkeypatch, kernel_calls):
    """Without forcing, the first inference call for a shape times fc1 in
    the kernel against fc1 apart (each of the two ops runs once untimed,
    then ``TRIAL_RUNS`` times), then returns fc1 apart's result; later calls
    run the op that choice names, once; a new shape is timed anew;
    deterministic mode times nothing and keeps fc1 apart."""
    from mmcnn.models.backbones.moganet import ChannelAggregationFFN
    from mmcnn.models.layers.dwconv import selection
    calls = kernel_calls
    monkeypatch.setattr(selection, '_VARIANTS', {})
    torch.manual_seed(0)
    ffn = ChannelAggregationFFN(16, 24).eval()
    ffn.dwconv.algorithm = 'compiled'
    x = torch.randn(2, 16, 9, 7).contiguous(memory_format=torch.channels_last)
    expected = ffn(x).detach()
    assert calls == []
    with torch.no_grad():
        first = ffn(x)
        assert torch.allclose(first, expected, rtol=1e-5, atol=1e-6)
        runs = selection.TRIAL_RUNS
        assert sorted(calls) == sorted(
            ['dwconv_gelu_project'] * (runs + 2)
            + ['dwconv_gelu_project_fc'] * (runs + 1))
        (key, choice), = selection._VARIANTS.items()
        assert choice in ('inside', 'apart')
        for forced, op in (('inside', 'dwconv_gelu_project_fc'),
                           ('apart', 'dwconv_gelu_project')):
            selection._VARIANTS[key] = forced
            calls.clear()
            assert torch.allclose(ffn(x), expected, rtol=1e-5, atol=1e-6)
            assert calls == [op]
        calls.clear()
        ffn(x[:1, :, :5])
        assert len(calls) == 2 * runs + 3 and len(selection._VARIANTS) == 2
        monkeypatch.setattr(selection, '_VARIANTS', {})
        calls.clear()
        torch.use_deterministic_algorithms(True)
        try:
            ffn(x)
        finally:
            torch.use_deterministic_algorithms(False)
        assert calls == ['dwconv_gelu_project']
        assert list(selection._VARIANTS.values()) == ['apart']


def test_fused_gelu_matches_pytorch_over_the_float_range():
    """GELU as PyTorch's CPU kernel computes it (erf by Abramowitz-Stegun
    7.1.26): within 1e-6 x max(1, |x|) of F.gelu from -12 to 12 (a few
    float ulps; the exp differs in rounding), and not identical (so the
    comparison is with a separate computation)."""
    x = torch.linspace(-12, 12, 200001)
    ones = torch.ones(x.numel(), 1, 1, 1)
    fused = ops.cpu_ops().dwconv_forward(x.view(1, -1, 1, 1), ones, None, 0,
                                         0, 1, 1, True).flatten()
    error = (fused - F.gelu(x)).abs()
    assert (error <= 1e-6 * x.abs().clamp(min=1)).all()
    assert error.max() > 0


def test_depthwise_layer_fuses_its_gelu_only_when_compiled_is_picked():
    """``conv_act(DepthwiseConv2d, x, GELU)`` equals ``gelu(conv(x))``
    whichever algorithm runs: forced 'compiled' (fused) in inference, and
    the same call with gradients (the compiled kernel has no backward, so
    the channels-last convolution runs); a subclass is called plainly."""
    layer = DepthwiseConv2d(32, 3)
    x = torch.randn(2, 32, 11, 13).contiguous(memory_format=torch.channels_last)
    expected = F.gelu(F.conv2d(x, layer.weight, layer.bias, 1, 1, 1, 32))
    with force_algorithm('compiled'):
        with torch.inference_mode():
            fused = conv_act(layer, x, torch.nn.GELU())
        trained = conv_act(layer, x.requires_grad_(), torch.nn.GELU())
    assert ((fused - expected).abs().max() / expected.abs().max()) < 2e-6
    assert torch.allclose(trained, expected, atol=1e-6)
    trained.sum().backward()
    assert x.grad is not None and layer.weight.grad is not None

    class Plain(DepthwiseConv2d):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return super().forward(x)

    plain = Plain(32, 3)
    plain.load_state_dict(layer.state_dict())
    with torch.inference_mode():
        assert torch.allclose(conv_act(plain, x.detach(), torch.nn.GELU()),
                              expected, atol=1e-6)


def test_moganet_gives_the_same_maps_with_and_without_the_kernels(
        monkeypatch):
    """MogaNet-XT at an odd size, training and deploy form, in inference:
    the compiled kernels (fused decompose included, forced) give the maps of
    MMCNN_CPU_EXT=0 to float rounding."""
    from mmcnn.models.backbones.moganet import MogaNet
    torch.manual_seed(0)
    model = MogaNet(arch='xtiny', out_indices=(0, 1, 2, 3)).eval()
    for param in model.parameters():
        param.data.normal_(0, 0.05)
    x = torch.randn(2, 3, 97, 83)

    def both():
        with torch.no_grad(), force_algorithm('compiled'):
            monkeypatch.setenv(ops.DISABLE_ENV, '1')
            compiled = model(x)
            monkeypatch.setenv(ops.DISABLE_ENV, '0')
            plain = model(x)
        return compiled, plain

    for form in ('training', 'deploy'):
        if form == 'deploy':
            model.switch_to_deploy()
        for compiled, plain in zip(*both()):
            error = (compiled - plain).abs().max() / plain.abs().max()
            assert 0 < error.item() < 1e-5, form

"""DCNv3 op and module against the straightforward grid_sample formulation,
with mmcnn's compiled CPU kernel and with its PyTorch path."""
import pytest
import torch
import torch.nn.functional as F

from mmcnn.analysis import DCNV3_FLOP_HANDLES
from mmcnn.models.layers import DCNv3, dcnv3_core, dcnv3_macs
from mmcnn.ops import DISABLE_ENV, cpu_ops


@pytest.fixture(autouse=True, params=['compiled', 'pytorch'])
def implementation(request, monkeypatch):
    """Every test twice: with the compiled kernel (which ``make env``
    builds: its absence fails here) and with ``MMCNN_CPU_EXT=0``."""
    compiled = request.param == 'compiled'
    monkeypatch.setenv(DISABLE_ENV, '1' if compiled else '0')
    assert (cpu_ops() is not None) == compiled, (
        'the compiled CPU kernels are not built: python -m mmcnn.ops.build '
        '(make env runs it)')
    return request.param


def reference_dcnv3(x, offset, mask, groups, kernel_size, stride, padding,
                    dilation, offset_scale):
    """The math of the official ``dcnv3_core_pytorch``.

    Zero-pad the channels-last input, place every kernel point at
    ``reference + (kernel grid + offset) * offset_scale`` in coordinates
    normalised by the padded size, sample all groups and points with one
    ``grid_sample`` (bilinear, zeros outside, ``align_corners=False``) and
    sum the samples weighted by the mask. Kernel point ``i * k + j`` is
    column ``i`` and row ``j`` of the kernel.
    """
    x = F.pad(x, (0, 0, padding, padding, padding, padding))
    n, height, width, channels = x.shape
    _, h_out, w_out, _ = offset.shape
    points = kernel_size * kernel_size
    half = dilation * (kernel_size - 1) // 2
    dtype = x.dtype
    ref_x = (half + 0.5 + stride * torch.arange(w_out, dtype=dtype)) / width
    ref_y = (half + 0.5 + stride * torch.arange(h_out, dtype=dtype)) / height
    taps = torch.arange(kernel_size, dtype=dtype) * dilation - half
    grid_x, grid_y = torch.meshgrid(taps, taps, indexing='ij')
    offset = offset.view(n, h_out, w_out, groups, points, 2)
    loc_x = (ref_x.view(1, 1, w_out, 1, 1) +
             grid_x.reshape(points) / width * offset_scale +
             offset[..., 0] * offset_scale / width)
    loc_y = (ref_y.view(1, h_out, 1, 1, 1) +
             grid_y.reshape(points) / height * offset_scale +
             offset[..., 1] * offset_scale / height)
    grid = torch.stack([loc_x, loc_y], -1) * 2 - 1
    grid = grid.permute(0, 3, 1, 2, 4, 5).reshape(
        n * groups, h_out * w_out, points, 2)
    planes = x.permute(0, 3, 1, 2).reshape(
        n * groups, channels // groups, height, width)
    sampled = F.grid_sample(planes, grid, mode='bilinear',
                            padding_mode='zeros', align_corners=False)
    weights = mask.view(n, h_out, w_out, groups, points).permute(
        0, 3, 1, 2, 4).reshape(n * groups, 1, h_out * w_out, points)
    out = (sampled * weights).sum(-1)
    return out.view(n, channels, h_out, w_out).permute(0, 2, 3, 1)


# (N, H, W, C, groups, kernel, stride, padding, dilation, offset_scale)
CASES = [
    (2, 7, 9, 12, 3, 3, 1, 1, 1, 1.0),
    (1, 10, 6, 8, 2, 3, 2, 1, 1, 1.0),
    (2, 9, 11, 16, 4, 3, 1, 2, 2, 2.0),
    (1, 8, 13, 6, 1, 5, 1, 2, 1, 0.5),
    (1, 5, 5, 32, 8, 3, 1, 0, 1, 1.0),
    (1, 6, 7, 4, 2, 2, 1, 0, 1, 1.5),
    (1, 11, 5, 8, 4, 3, 3, 1, 2, 1.0),
]


def random_inputs(case, dtype=torch.float32, seed=0):
    n, height, width, channels, groups, k, stride, pad, dil, _ = case
    gen = torch.Generator().manual_seed(seed)
    h_out = (height + 2 * pad - dil * (k - 1) - 1) // stride + 1
    w_out = (width + 2 * pad - dil * (k - 1) - 1) // stride + 1
    x = torch.randn(n, height, width, channels, generator=gen, dtype=dtype)
    offset = 2.5 * torch.randn(n, h_out, w_out, groups * k * k * 2,
                               generator=gen, dtype=dtype)
    logits = torch.randn(n, h_out, w_out, groups, k * k, generator=gen,
                         dtype=dtype)
    mask = logits.softmax(-1).flatten(3)
    return x, offset, mask


def run_both(case, dtype):
    inputs = [t.requires_grad_() for t in random_inputs(case, dtype)]
    n, _, _, _, groups, k, stride, pad, dil, scale = case
    ours = dcnv3_core(*inputs, groups, k, stride, pad, dil, scale)
    ref_inputs = [t.detach().clone().requires_grad_() for t in inputs]
    ref = reference_dcnv3(*ref_inputs, groups, k, stride, pad, dil, scale)
    grad = torch.randn_like(ours)
    ours.backward(grad)
    ref.backward(grad)
    return (ours, [t.grad for t in inputs]), (ref, [t.grad for t in
                                                    ref_inputs])


@pytest.mark.parametrize('case', CASES)
def test_forward_and_gradients_match_reference(case):
    (ours, grads), (ref, ref_grads) = run_both(case, torch.float32)
    assert ours.shape == ref.shape
    torch.testing.assert_close(ours, ref, atol=1e-4, rtol=1e-4)
    for name, grad, ref_grad in zip(('x', 'offset', 'mask'), grads,
                                    ref_grads):
        torch.testing.assert_close(grad, ref_grad, atol=1e-4, rtol=1e-4,
                                   msg=f'gradient of {name}')


def test_float64_matches_reference_closely():
    (ours, grads), (ref, ref_grads) = run_both(CASES[2], torch.float64)
    torch.testing.assert_close(ours, ref, atol=1e-10, rtol=1e-10)
    for grad, ref_grad in zip(grads, ref_grads):
        torch.testing.assert_close(grad, ref_grad, atol=1e-10, rtol=1e-10)


def test_gradcheck():
    case = (1, 3, 4, 4, 2, 3, 1, 1, 1, 1.0)
    inputs = tuple(t.requires_grad_() for t in random_inputs(
        case, torch.float64, seed=3))
    assert torch.autograd.gradcheck(
        lambda x, o, m: dcnv3_core(x, o, m, 2, 3, 1, 1, 1, 1.0), inputs)


def test_samples_outside_the_map_read_zeros():
    x = torch.randn(1, 4, 4, 2)
    offset = torch.full((1, 4, 4, 18), 100.)
    mask = torch.full((1, 4, 4, 9), 1 / 9)
    assert torch.equal(dcnv3_core(x, offset, mask, 1), torch.zeros(1, 4, 4, 2))


def test_zero_offsets_are_a_box_filter():
    x = torch.randn(2, 6, 7, 8)
    out = dcnv3_core(x, torch.zeros(2, 6, 7, 36),
                     torch.full((2, 6, 7, 18), 1 / 9), groups=2)
    box = F.avg_pool2d(x.permute(0, 3, 1, 2), 3, 1, 1,
                       count_include_pad=True).permute(0, 2, 3, 1)
    torch.testing.assert_close(out, box)


def test_shape_errors_are_explained():
    x = torch.randn(1, 8, 8, 12)
    with pytest.raises(ValueError, match='divisible by groups'):
        dcnv3_core(x, torch.zeros(1, 8, 8, 90), torch.zeros(1, 8, 8, 45), 5)
    with pytest.raises(ValueError, match=r'offset must have shape '
                       r'\(1, 4, 4, 54\)'):
        dcnv3_core(x, torch.zeros(1, 8, 8, 54), torch.zeros(1, 4, 4, 27), 3,
                   stride=2)
    with pytest.raises(ValueError, match='odd'):
        DCNv3(16, 2, kernel_size=4)


def module_reference(module, x):
    """The official module's forward with the reference sampling."""
    n, height, width, _ = x.shape
    value = module.input_proj(x)
    feat = module.dw_conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    feat = F.gelu(F.layer_norm(feat, (module.channels, ),
                               module.dw_norm.weight, module.dw_norm.bias,
                               1e-6))
    mask = module.mask(feat).view(n, height, width, module.groups, -1)
    mask = F.softmax(mask, -1).reshape(n, height, width, -1)
    k = module.kernel_size
    out = reference_dcnv3(value, module.offset(feat), mask, module.groups, k,
                          1, (k - 1) // 2, 1, module.offset_scale)
    if module.center_feature_scale:
        scale = torch.sigmoid(
            feat @ module.center_feature_scale_proj_weight.t() +
            module.center_feature_scale_proj_bias)
        scale = scale[..., None].repeat(
            1, 1, 1, 1, module.channels // module.groups).flatten(-2)
        out = out * (1 - scale) + value * scale
    return module.output_proj(out)


@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(offset_scale=2.0),
    dict(dw_kernel_size=5, center_feature_scale=True),
])
def test_module_matches_reference(kwargs):
    torch.manual_seed(0)
    module = DCNv3(32, 4, **kwargs)
    for param in module.parameters():
        torch.nn.init.normal_(param, std=0.3)
    x = torch.randn(2, 9, 7, 32)
    torch.testing.assert_close(module(x), module_reference(module, x),
                               atol=1e-4, rtol=1e-4)


def test_module_initial_state_and_keys():
    module = DCNv3(16, 2, dw_kernel_size=5, center_feature_scale=True)
    assert not module.offset.weight.any() and not module.mask.bias.any()
    assert module.dw_conv.weight.shape == (16, 1, 5, 5)
    assert sorted(module.state_dict()) == sorted([
        'dw_conv.weight', 'dw_conv.bias', 'dw_norm.weight', 'dw_norm.bias',
        'offset.weight', 'offset.bias', 'mask.weight', 'mask.bias',
        'input_proj.weight', 'input_proj.bias', 'output_proj.weight',
        'output_proj.bias', 'center_feature_scale_proj_weight',
        'center_feature_scale_proj_bias'])


def test_flop_analyzer_counts_the_sampling():
    from mmengine.analysis import FlopAnalyzer
    module = DCNv3(16, 2).eval()
    x = torch.randn(1, 6, 10, 16)
    analyzer = FlopAnalyzer(module, (x, ))
    analyzer.set_op_handle(**DCNV3_FLOP_HANDLES)
    analyzer.unsupported_ops_warnings(False)
    by_op = analyzer.by_operator()
    assert by_op['dcnv3'] == 5 * 6 * 10 * 16 * 9 == dcnv3_macs(
        (1, 6, 10, 16), 9)
    linear_macs = 60 * 16 * (16 + 16 + 36 + 18)
    assert by_op['linear'] == linear_macs

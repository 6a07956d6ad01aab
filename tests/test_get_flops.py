"""tools/analysis_tools/get_flops.py: the papers' figures and the counting.

The published figures of every family (papers / official READMEs, ImageNet
with the classifier) are reproduced to 1%, or to half a unit of the last
printed digit where the figure is printed coarser ("5G", "0.9G"); small
synthetic modules check each special handle against its analytic count,
and the shape-only (meta) trace against a real one.

Counted as the papers count (options of the tool): RepLKNet and
UniRepLKNet in the deploy form (``--deploy``: merged kernels, folded BN;
the training form is +1.4% / +2.6%); SLaK's non-zero weights at 40%
sparsity (``--sparsity 0.4``); ConvNeXt V1/V2 conv and linear multiply-adds
only (``--ops conv linear``: norms and biases add 0.2-1.2%, beyond 1% for
V2-femto). InceptionNeXt and ConvFormer carry their MLP heads, InternImage
its conv head (each class's ``classifier_head``).

Left out of the pins:
- SLaK-T/S FLOPs (5.0G/9.8G): a uniform 40% layout gives 5.26G/10.0G (B's
  17.1G agrees); the paper's per-layer densities come from SNIP on data
  and are not published.
- ConvFormer-S18 FLOPs (3.9G): measured 3.96G, the other sizes agree to
  1%, so the printed figure looks truncated.
- HorNet-L params (209M/211M): counted with an ImageNet-22K head whose
  class count the README does not give (194.5M/196.3M with 1000 classes).
- VAN-B4/B5/B6: the official README publishes B0-B3 only.
"""
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from torch import nn

from mmcnn.analysis import (analyze, config_input_size, config_task,
                            resolve_backbone, weight_densities)
from mmcnn.models import MogaNet
from tools.analysis_tools import get_flops

ROOT = Path(__file__).resolve().parents[1]
DET_T = 'configs/det/moganet/retinanet_moganet-t_fpn_1x_coco.py'
SEG_S = 'configs/seg/moganet/moganet-s_upernet_8xb2-160k_ade20k-512x512.py'
POSE_S = 'configs/pose/moganet/td-hm_moganet-s_8xb32-210e_coco-256x192.py'

# MogaNet paper, ImageNet-1k at 224 with the classifier: (params M, GFLOPs).
PAPER_CLS = {
    'xtiny': (2.97, 0.80),
    'tiny': (5.20, 1.10),
    'small': (25.3, 4.97),
    'base': (43.9, 9.93),
    'large': (82.5, 15.9),
    'xlarge': (180.8, 34.5),
}
# Official README figures of the dense tasks: (config, input (N, C, H, W),
# params M, GFLOPs).
PAPER_DENSE = [
    (DET_T, (1, 3, 800, 1280), 14.4, 173.4),
    (SEG_S, (1, 3, 512, 2048), 55.3, 946.4),
    (POSE_S, (1, 3, 256, 192), 29.0, 6.0),
]

# Published (params M, GFLOPs) as printed, per --arch and tool options;
# None where a figure is left out (see the module docstring).
FAMILY_TABLE = [
    ('convnext-t', ['--ops', 'conv', 'linear'], '28.6', '4.5'),
    ('convnext-s', ['--ops', 'conv', 'linear'], '50.2', '8.7'),
    ('convnext-b', ['--ops', 'conv', 'linear'], '88.6', '15.4'),
    ('convnext-l', ['--ops', 'conv', 'linear'], '198', '34.4'),
    ('convnext-xl', ['--ops', 'conv', 'linear'], '350', '60.9'),
    ('convnextv2-atto', ['--ops', 'conv', 'linear'], '3.7', '0.55'),
    ('convnextv2-femto', ['--ops', 'conv', 'linear'], '5.2', '0.78'),
    ('convnextv2-pico', ['--ops', 'conv', 'linear'], '9.1', '1.37'),
    ('convnextv2-nano', ['--ops', 'conv', 'linear'], '15.6', '2.45'),
    ('convnextv2-tiny', ['--ops', 'conv', 'linear'], '28.6', '4.47'),
    ('convnextv2-base', ['--ops', 'conv', 'linear'], '89', '15.4'),
    ('convnextv2-large', ['--ops', 'conv', 'linear'], '198', '34.4'),
    ('convnextv2-huge', ['--ops', 'conv', 'linear'], '660', '115'),
    ('replknet-31b', ['--deploy'], '79', '15.3'),
    ('replknet-31b', ['--deploy', '--shape', '384'], '79', '45.1'),
    ('replknet-31l', ['--deploy', '--shape', '384'], '172', '96.0'),
    ('replknet-xl', ['--deploy', '--shape', '320'], '335', '128.7'),
    ('slak-t', ['--sparsity', '0.4'], '30', None),
    ('slak-s', ['--sparsity', '0.4'], '55', None),
    ('slak-b', ['--sparsity', '0.4'], '95', '17.1'),
    ('unireplknet-a', ['--deploy'], '4.4', '0.6'),
    ('unireplknet-f', ['--deploy'], '6.2', '0.9'),
    ('unireplknet-p', ['--deploy'], '10.7', '1.6'),
    ('unireplknet-n', ['--deploy'], '18.3', '2.8'),
    ('unireplknet-t', ['--deploy'], '31', '4.9'),
    ('unireplknet-s', ['--deploy'], '56', '9.1'),
    ('unireplknet-s', ['--deploy', '--shape', '384'], '56', '26.7'),
    ('unireplknet-b', ['--deploy', '--shape', '384'], '98', '47.2'),
    ('unireplknet-l', ['--deploy', '--shape', '384'], '218', '105.4'),
    ('unireplknet-xl', ['--deploy', '--shape', '384'], '386', '187'),
    ('inceptionnext-atto', [], '4.2', '0.51'),
    ('inceptionnext-t', [], '28', '4.2'),
    ('inceptionnext-s', [], '49', '8.4'),
    ('inceptionnext-b', [], '87', '14.9'),
    ('van-b0', [], '4.1', '0.9'),
    ('van-b1', [], '13.9', '2.5'),
    ('van-b2', [], '26.6', '5.0'),
    ('van-b3', [], '44.8', '9.0'),
    ('hornet-t', [], '22', '4.0'),
    ('hornet-t-gf', [], '23', '3.9'),
    ('hornet-s', [], '50', '8.8'),
    ('hornet-s-gf', [], '50', '8.7'),
    ('hornet-b', [], '87', '15.6'),
    ('hornet-b-gf', [], '88', '15.5'),
    ('hornet-l', [], None, '34.8'),
    ('hornet-l-gf', [], None, '34.7'),
    ('focalnet-t-srf', [], '28.4', '4.4'),
    ('focalnet-t-lrf', [], '28.6', '4.5'),
    ('focalnet-s-srf', [], '49.9', '8.6'),
    ('focalnet-s-lrf', [], '50.3', '8.7'),
    ('focalnet-b-srf', [], '88.1', '15.3'),
    ('focalnet-b-lrf', [], '88.7', '15.4'),
    ('internimage-t', [], '30', '5'),
    ('internimage-s', [], '50', '8'),
    ('internimage-b', [], '97', '16'),
    ('internimage-l', ['--shape', '384'], '223', '108'),
    ('internimage-xl', ['--shape', '384'], '335', '163'),
    ('poolformer-s12', [], '12', '1.8'),
    ('poolformer-s24', [], '21', '3.4'),
    ('poolformer-s36', [], '31', '5.0'),
    ('poolformer-m36', [], '56', '8.8'),
    ('poolformer-m48', [], '73', '11.6'),
    ('convformer-s18', [], '27', None),
    ('convformer-s36', [], '40', '7.6'),
    ('convformer-m36', [], '57', '12.8'),
    ('convformer-b36', [], '100', '22.6'),
]


def printed_tolerance(printed: str) -> float:
    """Relative tolerance of a printed figure: 1%, or half a unit of its
    last printed digit when that is coarser ("5" -> 10%, "0.55" -> 1%)."""
    decimals = len(printed.partition('.')[2])
    return max(0.01, 0.5 * 10**-decimals / float(printed))


@pytest.fixture(scope='module')
def tool():
    return get_flops


def assert_within(measured: float,
                  published: float,
                  rel: float = 0.01) -> None:
    assert measured == pytest.approx(
        published,
        rel=rel), (f'measured {measured:.4g} vs published {published:.4g}')


@pytest.mark.parametrize('arch', list(PAPER_CLS))
def test_moganet_with_classifier_matches_paper(tool, arch, capsys):
    report = tool.main(['--arch', f'moganet-{arch}'])
    params, gflops = PAPER_CLS[arch]
    assert report.input_shape == (1, 3, 224, 224)
    assert_within(report.params / 1e6, params)
    assert_within(report.flops / 1e9, gflops)
    assert report.flops_by_operator['linear'] == 1000 * report.analyzer \
        ._model.head.in_features
    assert report.traced_on == 'meta' and not report.unhandled
    assert 'FLOPs:' in capsys.readouterr().out


def test_moganet_tiny_at_256(tool):
    report = tool.main(['--arch', 'moganet-tiny', '--shape', '256'])
    assert report.input_shape == (1, 3, 256, 256)
    assert_within(report.flops / 1e9, 1.44)


@pytest.mark.parametrize(
    'arch,options,params,gflops',
    FAMILY_TABLE,
    ids=[f'{a}{"".join(o)}' for a, o, _, _ in FAMILY_TABLE])
def test_every_family_matches_its_published_figures(tool, arch, options,
                                                    params, gflops):
    report = tool.main(['--arch', arch, *options])
    assert report.traced_on == 'meta' and not report.unhandled
    if params is not None:
        assert_within(report.params / 1e6, float(params),
                      printed_tolerance(params))
    if gflops is not None:
        assert_within(report.flops / 1e9, float(gflops),
                      printed_tolerance(gflops))


def test_printed_tolerance():
    assert printed_tolerance('5') == pytest.approx(0.1)
    assert printed_tolerance('0.9') == pytest.approx(0.05 / 0.9)
    assert printed_tolerance('15.4') == 0.01


def test_deploy_and_training_forms_differ(tool):
    train = tool.main(['--arch', 'unireplknet-t'])
    deploy = tool.main(['--arch', 'unireplknet-t', '--deploy'])
    assert deploy.params < train.params and deploy.flops < train.flops
    train = tool.main(['--arch', 'convformer-s18'])
    deploy = tool.main(['--arch', 'convformer-s18', '--deploy'])
    # Per block: both norm weights (2C) and the MLP's StarReLU (2) fold
    # away, fc2 gains a bias (C); each downsampling's pre-norm weight goes.
    widths, depths = [64, 128, 320, 512], [3, 3, 9, 3]
    folded = sum(d * (c + 2) for c, d in zip(widths, depths))
    assert train.params - deploy.params == folded + sum(widths[:3])
    assert deploy.flops_by_operator['layer_norm'] < \
        train.flops_by_operator['layer_norm']
    with pytest.raises(ValueError, match='no deploy form'):
        tool.main(['--arch', 'convnextv2-tiny', '--deploy'])


def test_sparse_count_scales_weights_and_their_layers(tool):
    dense = tool.main(['--arch', 'slak-t'])
    sparse = tool.main(['--arch', 'slak-t', '--sparsity', '0.4'])
    erk = tool.main(
        ['--arch', 'slak-t', '--sparsity', '0.4', '--sparse-layout', 'erk'])
    weights = sum(p.numel() for p in dense.analyzer._model.parameters()
                  if p.dim() in (2, 4))
    assert sparse.params == pytest.approx(
        dense.params - 0.4 * weights,
        abs=len(dense.analyzer._model.state_dict()))
    assert erk.params == pytest.approx(sparse.params, abs=100)
    assert sparse.density == pytest.approx(0.6, abs=1e-4)
    for op in ('conv', 'linear'):
        assert sparse.flops_by_operator[op] == pytest.approx(
            0.6 * dense.flops_by_operator[op], rel=1e-3)
    assert sparse.flops_by_operator['layer_norm'] == \
        dense.flops_by_operator['layer_norm']
    assert erk.flops != sparse.flops


class Sparse(nn.Module):

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 8, 3, padding=1, bias=False)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc(self.conv(x).mean(dim=(2, 3)))


def test_nonzero_weights_of_a_sparse_model_are_counted():
    model = Sparse()
    with torch.no_grad():
        model.conv.weight[:, :2] = 0  # half of the conv weights
    density = weight_densities(model)
    assert density == {'conv.weight': 0.5, 'fc.weight': 1.0}
    report = analyze(
        model, (torch.randn(1, 4, 5, 5), ), weight_density=density)
    dense = analyze(model, (torch.randn(1, 4, 5, 5), ))
    assert report.params == dense.params - 8 * 2 * 9
    assert report.flops_by_operator['conv'] == 8 * 2 * 9 * 25
    assert report.flops_by_operator['linear'] == 16


def test_only_ops_restricts_the_total(tool):
    full = tool.main(['--arch', 'convnextv2-atto'])
    macs = tool.main(['--arch', 'convnextv2-atto', '--ops', 'conv', 'linear'])
    assert set(macs.flops_by_operator) == {'conv', 'linear'}
    assert macs.flops == full.flops_by_operator['conv'] + \
        full.flops_by_operator['linear'] < full.flops


@pytest.mark.parametrize('config,shape,params,gflops', PAPER_DENSE)
def test_dense_task_configs_match_paper(tool, config, shape, params, gflops):
    report = tool.main([str(ROOT / config)])
    assert report.input_shape == shape
    assert_within(report.params / 1e6, params)
    assert_within(report.flops / 1e9, gflops)
    assert report.traced_on == 'meta'


def test_shape_is_height_then_width(tool):
    """--shape is H W, as in torch and every mmcnn tool."""
    report = tool.main([str(ROOT / DET_T), '--shape', '256', '320'])
    assert report.input_shape == (1, 3, 256, 320)
    report = tool.main(['--arch', 'moganet-xtiny', '--shape', '96', '64'])
    assert report.input_shape == (1, 3, 96, 64)


def test_input_size_follows_the_config():
    pose = Config.fromfile(
        ROOT / 'configs/pose/moganet/td-hm_moganet-s_8xb32-210e_coco-'
        '384x288.py')
    assert config_task(pose) == 'pose'
    assert config_input_size(pose, 'pose') == (288, 384)
    cls = Config.fromfile(ROOT / 'configs/cls/moganet/'
                          'moganet-t_8xb128_in1k.py')
    assert config_input_size(cls, config_task(cls)) == (224, 224)


def test_depth_table_and_bare_backbone(tool, capsys):
    report = tool.main(
        ['--arch', 'moganet-xt', '--num-classes', '0', '--depth', '1'])
    out = capsys.readouterr().out
    assert '(backbone only)' in out
    assert '| module' in out and 'blocks3' in out
    assert report.params == sum(p.numel()
                                for p in MogaNet(arch='xtiny').parameters())


def test_family_names_resolve_case_insensitively():
    assert resolve_backbone('MogaNet-x-tiny') == (MogaNet, 'x-tiny')
    with pytest.raises(ValueError, match='moganet'):
        resolve_backbone('nonet-tiny')


class DilatedDepthwise(nn.Module):

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(16, 16, 7, padding=9, dilation=3, groups=16)

    def forward(self, x):
        return self.conv(x)


def test_depthwise_dilated_conv_counts_kernel_and_bias():
    report = analyze(DilatedDepthwise(), (torch.randn(1, 16, 20, 24), ))
    positions = 20 * 24
    assert report.flops_by_operator == {
        'conv': 16 * 7 * 7 * positions,
        'conv_bias': 16 * positions,
    }


def test_grouped_strided_conv():
    conv = nn.Conv2d(32, 64, 3, stride=2, padding=1, groups=4, bias=False)
    report = analyze(conv, (torch.randn(2, 32, 16, 16), ))
    assert report.flops == 2 * 64 * (32 // 4) * 9 * 8 * 8


class GlobalFilter(nn.Module):
    """HorNet-style global filter: ``irfft2(rfft2(x) * w)``."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(8, 16, 9, 2))

    def forward(self, x):
        spectrum = torch.fft.rfft2(x, dim=(2, 3), norm='ortho')
        spectrum = spectrum * torch.view_as_complex(self.weight)
        return torch.fft.irfft2(spectrum, s=(16, 16), dim=(2, 3), norm='ortho')


def test_fft_ops_are_counted():
    report = analyze(GlobalFilter(), (torch.randn(2, 8, 16, 16), ))
    n_log_n = 2 * 8 * 16 * 16 * math.ceil(math.log2(16 * 16))
    assert report.flops_by_operator == {
        'fft_rfft2': n_log_n,
        'fft_irfft2': n_log_n,
    }
    assert report.not_counted == {'aten::mul': 1}


class Sampler(nn.Module):

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def forward(self, x, grid):
        return F.grid_sample(x, grid, mode=self.mode, align_corners=False)


@pytest.mark.parametrize('mode,cost', [('bilinear', 4), ('nearest', 1),
                                       ('bicubic', 16)])
def test_grid_sample_counts_per_sampled_value(mode, cost):
    inputs = (torch.randn(2, 8, 16, 16), torch.rand(2, 5, 7, 2) * 2 - 1)
    report = analyze(Sampler(mode), inputs)
    assert report.flops_by_operator == {'grid_sampler': cost * 2 * 8 * 5 * 7}


class Unusual(nn.Module):

    def forward(self, x):
        return torch.cumsum(F.gelu(x), dim=1)


def test_report_lists_skipped_and_uncounted_ops():
    report = analyze(Unusual(), (torch.randn(1, 4, 8, 8), ))
    assert report.flops == 0
    assert report.unhandled == {'aten::cumsum': 1}
    assert report.not_counted == {'aten::gelu': 1}
    summary = report.summary()
    assert 'no FLOP handle (counted as 0): aten::cumsum x1' in summary
    assert 'aten::gelu x1' in summary


class Mixed(nn.Module):
    """Ops of every handle family, to compare meta and real tracing."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.up = nn.ConvTranspose2d(8, 8, 2, stride=2)
        self.bn = nn.BatchNorm2d(8)
        self.ln = nn.LayerNorm(8)
        self.mix = nn.Parameter(torch.randn(8, 8))
        self.fc = nn.Linear(8, 6)
        self.filter = GlobalFilter()

    def forward(self, x):
        x = self.bn(self.up(self.stem(x)))
        x = F.interpolate(x, size=(16, 16), mode='bilinear')
        x = x + self.filter(x) + F.max_pool2d(x, 3, 1, 1)
        x = F.grid_sample(
            x, x[:, :2].permute(0, 2, 3, 1).tanh(), align_corners=False)
        y = self.ln(x.permute(0, 2, 3, 1))
        y = torch.einsum('nhwc,dc->nhwd', y, self.mix)
        return self.fc(y.mean(dim=(1, 2)) + x.mean(dim=(2, 3)))


def test_meta_trace_equals_real_trace_and_leaves_model_alone():
    model = Mixed().eval()
    inputs = (torch.randn(2, 3, 8, 8), )
    meta = analyze(model, inputs)
    real = analyze(model, inputs, shape_only=False)
    assert meta.traced_on == 'meta' and real.traced_on == 'cpu'
    assert meta.flops_by_operator == real.flops_by_operator
    assert set(meta.flops_by_operator) >= {
        'conv', 'conv_bias', 'batch_norm', 'layer_norm', 'upsample_bilinear2d',
        'fft_rfft2', 'max_pool2d', 'grid_sampler', 'einsum', 'linear', 'mean'
    }
    assert meta.params == real.params == sum(p.numel()
                                             for p in model.parameters())
    assert all(p.device.type == 'cpu' for p in model.parameters())
    assert 'forward' not in vars(model)


class ValueDependent(nn.Module):

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1, bias=False)

    def forward(self, x):
        x = self.conv(x)
        return x * 2 if bool(x.sum() > 0) else x


def test_value_dependent_forward_falls_back_to_cpu():
    report = analyze(ValueDependent(), (torch.randn(1, 3, 4, 4), ))
    assert report.traced_on == 'cpu'
    assert 'meta' in report.fallback_reason
    assert report.flops_by_operator['conv'] == 3 * 4 * 16
    assert 'real forward pass on the CPU' in report.summary()


def test_mmcv_modulated_deform_conv_is_counted():
    from mmcv.ops import ModulatedDeformConv2dPack
    dcn = ModulatedDeformConv2dPack(8, 16, 3, padding=1).eval()
    report = analyze(dcn, (torch.randn(1, 8, 10, 12), ))
    positions, kernel = 10 * 12, 3 * 3
    assert report.flops_by_operator == {
        'conv': 27 * 8 * kernel * positions,
        'conv_bias': (27 + 16) * positions,
        'deform_conv': 16 * 8 * kernel * positions,
        'deform_sampling': 5 * 8 * kernel * positions,
    }
    assert report.traced_on == 'cpu' and not report.unhandled


class DCNv3Core(nn.Module):
    """InternImage's DCNv3 core in plain PyTorch: each group samples its
    channels at K points per pixel, then sums them weighted by the mask."""

    def __init__(self, groups: int, points: int) -> None:
        super().__init__()
        self.groups, self.points = groups, points

    def forward(self, x, grid, mask):
        n, c, h, w = x.shape
        g, k = self.groups, self.points
        sampled = F.grid_sample(
            x.reshape(n * g, c // g, h, w), grid, align_corners=False)
        mask = mask.reshape(n * g, 1, h * w, k)
        return (sampled * mask).sum(-1).reshape(n, c, h, w)


def test_dcnv3_core_costs_five_flops_per_sample():
    n, c, h, w, g, k = 2, 16, 6, 5, 4, 9
    inputs = (torch.randn(n, c, h, w), torch.rand(n * g, h * w, k, 2) * 2 - 1,
              torch.rand(n, g, h * w, k))
    report = analyze(DCNv3Core(g, k), inputs)
    assert report.flops == 5 * n * h * w * k * c
    assert report.traced_on == 'meta'


def test_counts_inference_and_restores_training_mode():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)).train()
    running_mean = model[1].running_mean.clone()
    report = analyze(model, (torch.randn(2, 3, 8, 8), ), shape_only=False)
    assert report.flops_by_operator['batch_norm'] == 2 * 2 * 4 * 6 * 6
    assert model.training and model[1].training
    assert torch.equal(model[1].running_mean, running_mean)

"""LSNet as a project: the SKA operator against its unfold reference, the
backbone against a transcription of the official forward on official-layout
weights, official checkpoint loading, parameter and FLOP pins, the
backbone contract, and every config built with one train and test step."""
import itertools
import math
import sys
from pathlib import Path
from typing import Dict, List

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.utils import import_modules_from_strings
from torch.nn.modules.batchnorm import _BatchNorm

from mmcnn.analysis import analyze, build_backbone_model
from mmcnn.registry import MODELS
from projects.lsnet.lsnet import LSNet, LSNetFPN, ska, ska_reference
from tools.analysis_tools import benchmark, get_flops

CONFIGS = Path(__file__).resolve().parents[1] / 'configs'
# mmcnn's test helpers (tests/_helpers.py), as `make test` imports them
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / 'tests'))
from _helpers import (count_params, load_through_init_cfg,  # noqa: E402
                      randomise, rel_error)
ARCHS = {'t': ([64, 128, 256, 384], [0, 2, 8, 10], [3, 3, 3, 4]),
         's': ([96, 192, 320, 448], [1, 2, 8, 10], [3, 3, 3, 4]),
         'b': ([128, 256, 384, 512], [4, 6, 8, 10], [3, 3, 3, 4]),
         # every block type in every stage, at small widths
         'tiny': ([16, 32, 48, 64], [2, 2, 2, 2], [1, 1, 1, 2])}
KEY_DIM = 16


@pytest.fixture(autouse=True)
def _no_algorithm_trials():
    """Deterministic mode: the depth-wise convolutions run their fixed
    first algorithm instead of timing trials for every new shape (as in
    tests/test_contract.py); at most two threads; a fixed seed."""
    before = (torch.are_deterministic_algorithms_enabled(),
              torch.is_deterministic_algorithms_warn_only_enabled())
    threads = torch.get_num_threads()
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.set_num_threads(min(2, threads))  # as the root conftest.py does
    torch.manual_seed(0)
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(before[0], warn_only=before[1])


TINY = dict(widths=[16, 32, 48, 64], depths=[1, 2, 2, 2],
            num_heads=[1, 1, 1, 2])

# --------------------------------------------------------------------------
# SKA against the unfold reference


@pytest.mark.parametrize('n,c,c_w,k,h,w', [
    (1, 16, 2, 3, 5, 7), (8, 8, 8, 3, 3, 4), (8, 24, 3, 5, 7, 5),
    (1, 4, 4, 3, 1, 1), (2, 6, 1, 3, 9, 2)])
def test_ska_matches_unfold_reference_forward_and_backward(n, c, c_w, k, h,
                                                           w):
    gen = torch.Generator().manual_seed(n * c + h)
    x = torch.randn(n, c, h, w, dtype=torch.float64, generator=gen)
    weight = torch.randn(n, c_w, k * k, h, w, dtype=torch.float64,
                         generator=gen)
    grad = torch.randn(n, c, h, w, dtype=torch.float64, generator=gen)
    results = []
    for op in (ska, ska_reference):
        xi = x.clone().requires_grad_()
        wi = weight.clone().requires_grad_()
        out = op(xi, wi)
        out.backward(grad)
        results.append((out.detach(), xi.grad, wi.grad))
    for ours, ref in zip(*results):
        torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-12)


def test_ska_gradcheck_and_channel_sharing():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 6, 3, 5, dtype=torch.float64, generator=gen,
                    requires_grad=True)
    weight = torch.randn(2, 3, 9, 3, 5, dtype=torch.float64, generator=gen,
                         requires_grad=True)
    assert torch.autograd.gradcheck(ska, (x, weight))
    # channel c uses kernel c % C_w (the official kernel's layout)
    one = torch.zeros(1, 2, 9, 3, 3, dtype=torch.float64)
    one[:, 1, 4] = 1.
    image = torch.arange(36.).double().view(1, 4, 3, 3)
    out = ska(image, one)
    assert torch.equal(out[:, 1::2], image[:, 1::2])
    assert not out[:, 0::2].any()


def test_ska_rejects_mismatched_shapes():
    x = torch.randn(1, 8, 4, 4)
    with pytest.raises(ValueError, match='do not fit'):
        ska(x, torch.randn(1, 3, 9, 4, 4))
    with pytest.raises(ValueError, match='do not fit'):
        ska(x, torch.randn(1, 2, 9, 4, 5))
    with pytest.raises(ValueError, match='k odd'):
        ska(x, torch.randn(1, 2, 4, 4, 4))


def test_ska_flops_are_counted_by_the_project_handle():
    x = torch.randn(1, 64, 7, 5)
    model = MODELS.build(dict(type='mmcnn.LSNet', arch=TINY)).stages[0][0]
    report = analyze(model, (torch.randn(1, 16, 7, 5), ))
    assert 'ska' not in report.flops_by_operator  # a 'rep' block
    lsconv = MODELS.build(dict(type='mmcnn.LSNet', arch=TINY)).stages[1][1]
    report = analyze(lsconv.mixer, (x[:, :32], ))
    assert report.flops_by_operator['ska'] == 32 * 7 * 5 * 9
    assert not report.unhandled

# --------------------------------------------------------------------------
# The official implementation, transcribed (THU-MIG/lsnet model/lsnet.py and
# detection/model/lsnet.py; SKA is the Triton kernel's loop over taps).


def official_bias_idxs(resolution: int) -> torch.Tensor:
    points = list(itertools.product(range(resolution), range(resolution)))
    offsets, idxs = {}, []
    for p1 in points:
        for p2 in points:
            off = (abs(p1[0] - p2[0]), abs(p1[1] - p2[1]))
            if off not in offsets:
                offsets[off] = len(offsets)
            idxs.append(offsets[off])
    return torch.LongTensor(idxs).view(len(points), len(points))


def official_state(arch: str, resolution: int = 4, seed: int = 0) -> dict:
    """A random state dict with the official classifier's keys and shapes
    (``lsnet_{arch}(num_classes=1000)``, its attention grid 4x4)."""
    widths, depths, heads = ARCHS[arch]
    gen = torch.Generator().manual_seed(seed)
    state = {}

    def randn(*shape, scale=1.):
        return torch.randn(*shape, generator=gen) * scale

    def bn(prefix, c):
        state.update({
            prefix + 'weight': 1 + randn(c, scale=.3),
            prefix + 'bias': randn(c, scale=.3),
            prefix + 'running_mean': randn(c, scale=.3),
            prefix + 'running_var': torch.rand(c, generator=gen) + .5,
            prefix + 'num_batches_tracked': torch.tensor(0)})

    def conv_bn(prefix, c_in, c_out, k, groups=1):
        fan_in = c_in // groups * k * k
        state[prefix + 'c.weight'] = randn(c_out, c_in // groups, k, k,
                                           scale=fan_in**-.5)
        bn(prefix + 'bn.', c_out)

    def conv(prefix, c_in, c_out):
        state[prefix + 'weight'] = randn(c_out, c_in, 1, 1, scale=c_in**-.5)
        state[prefix + 'bias'] = randn(c_out, scale=.3)

    w0 = widths[0]
    conv_bn('patch_embed.0.', 3, w0 // 4, 3)
    conv_bn('patch_embed.2.', w0 // 4, w0 // 2, 3)
    conv_bn('patch_embed.4.', w0 // 2, w0, 3)
    for i, (w, depth, nh) in enumerate(zip(widths, depths, heads)):
        first = 0
        if i:
            prev = widths[i - 1]
            conv_bn(f'blocks{i + 1}.0.', prev, prev, 3, prev)
            conv_bn(f'blocks{i + 1}.1.', prev, w, 1)
            first = 2
        for d in range(depth):
            b = f'blocks{i + 1}.{first + d}.'
            if d % 2 == 0:
                conv_bn(b + 'mixer.conv.', w, w, 3, w)
                conv_bn(b + 'mixer.conv1.', w, w, 1, w)
                hidden = max(8, int(w / 4 + 4) // 8 * 8)  # timm's rounding
                conv(b + 'se.fc1.', w, hidden)
                conv(b + 'se.fc2.', hidden, w)
            elif i == 3:
                a = b + 'mixer.m.'
                conv_bn(a + 'qkv.', w, w + 2 * KEY_DIM * nh, 1)
                conv_bn(a + 'dw.', KEY_DIM * nh, KEY_DIM * nh, 3,
                        KEY_DIM * nh)
                conv_bn(a + 'proj.1.', w, w, 1)
                state[a + 'attention_biases'] = randn(nh, resolution**2)
                state[a + 'attention_bias_idxs'] = official_bias_idxs(
                    resolution)
            else:
                lkp = b + 'mixer.lkp.'
                conv_bn(lkp + 'cv1.', w, w // 2, 1)
                conv_bn(lkp + 'cv2.', w // 2, w // 2, 7, w // 2)
                conv_bn(lkp + 'cv3.', w // 2, w // 2, 1)
                conv(lkp + 'cv4.', w // 2, 9 * w // 8)
                state[lkp + 'norm.weight'] = 1 + randn(9 * w // 8, scale=.3)
                state[lkp + 'norm.bias'] = randn(9 * w // 8, scale=.3)
                bn(b + 'mixer.bn.', w)
            conv_bn(b + 'ffn.m.pw1.', w, 2 * w, 1)
            conv_bn(b + 'ffn.m.pw2.', 2 * w, w, 1)
    bn('head.bn.', widths[-1])
    state['head.l.weight'] = randn(1000, widths[-1], scale=.05)
    state['head.l.bias'] = randn(1000, scale=.05)
    return state


def official_dense_state(state: dict) -> dict:
    """What the official detection/segmentation ``init_weights`` makes of
    the classifier file for its 14x14 attention grid: index tables dropped
    (the model's own are built for 14x14), bias tables resized
    bicubically."""
    out = {k: v for k, v in state.items() if 'attention_bias_idxs' not in k}
    for key in [k for k in out if 'attention_biases' in k]:
        nh, length = out[key].shape
        side = int(length**.5)
        out[key] = F.interpolate(out[key].view(1, nh, side, side),
                                 size=(14, 14), mode='bicubic').view(nh, 196)
        out[key.replace('biases', 'bias_idxs')] = official_bias_idxs(14)
    return out


def official_ska(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """``ska_fwd``: o[n,c,h,w] = sum_{kh,kw} x[n,c,h-pad+kh,w-pad+kw] *
    w[n, c % wc, kh*ks+kw, h, w], zero outside the image."""
    n, ic, h, width = x.shape
    wc, ks = w.shape[1], int(math.sqrt(w.shape[2]))
    pad = (ks - 1) // 2
    xp = F.pad(x, (pad, pad, pad, pad))
    channel = torch.arange(ic) % wc
    out = torch.zeros_like(x)
    for kh in range(ks):
        for kw in range(ks):
            out = out + (xp[:, :, kh:kh + h, kw:kw + width] *
                         w[:, channel, kh * ks + kw])
    return out


def official_forward(sd: dict, x: torch.Tensor, arch: str,
                     dense: bool) -> List[torch.Tensor]:
    """The official eval-mode forward: the detection backbone's four
    stage maps (``dense``), else the classifier's logits."""
    widths, depths, heads = ARCHS[arch]

    def bn(prefix, y):
        return F.batch_norm(y, sd[prefix + 'running_mean'],
                            sd[prefix + 'running_var'], sd[prefix + 'weight'],
                            sd[prefix + 'bias'], False, 0., 1e-5)

    def cbn(prefix, y, stride=1):
        w = sd[prefix + 'c.weight']
        y = F.conv2d(y, w, None, stride, (w.shape[-1] - 1) // 2, 1,
                     y.shape[1] // w.shape[1])
        return bn(prefix + 'bn.', y)

    def attention(a, y, nh):
        b, c, h, w = y.shape
        nh_kd = KEY_DIM * nh
        q, k, v = cbn(a + 'qkv.', y).view(b, -1, h, w).split(
            [nh_kd, nh_kd, c], dim=1)
        q = cbn(a + 'dw.', q)
        q, k, v = (q.view(b, nh, -1, h * w), k.view(b, nh, -1, h * w),
                   v.view(b, nh, -1, h * w))
        attn = (q.transpose(-2, -1) @ k) * KEY_DIM**-0.5
        bias = sd[a + 'attention_biases'][:, sd[a + 'attention_bias_idxs']]
        if dense:
            bias = F.interpolate(bias.unsqueeze(0), size=attn.shape[-2:],
                                 mode='bicubic')
        attn = (attn + bias).softmax(dim=-1)
        y = (v @ attn.transpose(-2, -1)).reshape(b, -1, h, w)
        return cbn(a + 'proj.1.', y.relu())

    x = cbn('patch_embed.0.', x, 2).relu()
    x = cbn('patch_embed.2.', x, 2).relu()
    x = cbn('patch_embed.4.', x, 2)
    outs = []
    for i, (w, depth, nh) in enumerate(zip(widths, depths, heads)):
        first = 0
        if i:
            x = cbn(f'blocks{i + 1}.1.', cbn(f'blocks{i + 1}.0.', x, 2))
            first = 2
        for d in range(depth):
            b = f'blocks{i + 1}.{first + d}.'
            if d % 2 == 0:
                x = cbn(b + 'mixer.conv.', x) + cbn(b + 'mixer.conv1.', x) + x
                s = F.conv2d(x.mean((2, 3), keepdim=True),
                             sd[b + 'se.fc1.weight'], sd[b + 'se.fc1.bias'])
                s = F.conv2d(s.relu(), sd[b + 'se.fc2.weight'],
                             sd[b + 'se.fc2.bias'])
                x = x * s.sigmoid()
            elif i == 3:
                x = x + attention(b + 'mixer.m.', x, nh)
            else:
                lkp = b + 'mixer.lkp.'
                t = cbn(lkp + 'cv1.', x).relu()
                t = cbn(lkp + 'cv3.', cbn(lkp + 'cv2.', t)).relu()
                t = F.conv2d(t, sd[lkp + 'cv4.weight'], sd[lkp + 'cv4.bias'])
                t = F.group_norm(t, w // 8, sd[lkp + 'norm.weight'],
                                 sd[lkp + 'norm.bias'])
                t = t.view(t.shape[0], w // 8, 9, *t.shape[2:])
                x = bn(b + 'mixer.bn.', official_ska(x, t)) + x
            x = x + cbn(b + 'ffn.m.pw2.', cbn(b + 'ffn.m.pw1.', x).relu())
        outs.append(x)
    if dense:
        return outs
    pooled = bn('head.bn.', F.adaptive_avg_pool2d(x, 1).flatten(1))
    return [F.linear(pooled, sd['head.l.weight'], sd['head.l.bias'])]


def _arch(name: str):
    """A zoo name, or the custom dict of ``ARCHS[name]``."""
    if name in LSNet.arch_zoo:
        return name
    return dict(zip(LSNet.arch_keys, ARCHS[name]))


def _double(state: dict) -> dict:
    return {k: v.double() if v.is_floating_point() else v
            for k, v in state.items()}


@pytest.mark.parametrize('arch', ['t', 'tiny'])
def test_dense_form_equals_official_detection_backbone(arch, tmp_path):
    """The official classifier file, loaded through ``init_cfg`` into the
    dense form, gives the official detection backbone's four maps (on the
    file as its own loader converts it) at an odd input size."""
    sd = official_state(arch)
    model = load_through_init_cfg(LSNet(arch=_arch(arch)), {'model': sd},
                                  tmp_path / f'lsnet_{arch}.pth', strict=True)
    model = model.double().eval()
    x = torch.randn(1, 3, 97, 75, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ours = model(x)
        ref = official_forward(_double(official_dense_state(sd)), x, arch,
                               dense=True)
    assert [o.shape[-2:] for o in ours] == [(13, 10), (7, 5), (4, 3), (2, 2)]
    for a, b in zip(ours, ref):
        assert a.shape == b.shape
        assert rel_error(a, b) < 1e-8  # float64: ~1e-13 here


def test_official_detector_checkpoint_converts_and_loads(tmp_path):
    """An official RetinaNet file (mmdet 2.x: the official detection
    backbone's keys with its 14x14 attention tables, the LSNet FPN's and
    RetinaNet head's keys) converts with ``convert_official.py --config``
    and loads strictly: neck and head tensors unchanged, the backbone
    computing the official detection backbone's maps."""
    from mmcnn.analysis import build_task_model
    from mmcnn.utils.checkpoint import load_checkpoint_file
    from tools.model_converters import convert_official
    config = str(CONFIGS / 'retinanet_lsnet-t_fpn_1x_coco.py')
    detector = randomise(build_task_model(Config.fromfile(config)), seed=2)
    official = official_dense_state(official_state('t'))
    state = {f'backbone.{k}': v for k, v in official.items()
             if not k.startswith('head.')}
    state.update((k, v) for k, v in detector.state_dict().items()
                 if not k.startswith('backbone.'))
    src, dst = tmp_path / 'lsnet_t_retinanet.pth', tmp_path / 'out.pth'
    torch.save({'meta': {'mmdet_version': '2.28.2'}, 'state_dict': state},
               src)
    convert_official.main([str(src), str(dst), '--config', config])
    converted = load_checkpoint_file(str(dst))['state_dict']
    fresh = build_task_model(Config.fromfile(config))
    fresh.load_state_dict(converted, strict=True)
    for key, value in fresh.state_dict().items():
        if not key.startswith('backbone.'):
            assert torch.equal(value, state[key]), key
    x = torch.randn(1, 3, 97, 75, dtype=torch.float64)
    with torch.no_grad():
        ours = fresh.backbone.double()(x)
        ref = official_forward(_double(official), x, 't', dense=True)
    for a, b in zip(ours, ref):
        assert rel_error(a, b) < 1e-8


def test_classifier_and_deploy_forms_equal_official_classifier(tmp_path):
    """The classification form with the file's head BatchNorm1d as
    ``norm3`` and the head's linear layer gives the official logits; so
    does its deploy form (the smallest odd input with the official 4x4
    attention grid)."""
    sd = official_state('tiny')
    model = LSNet(arch=_arch('tiny'), out_indices=(3, ),
                  gap_before_final_norm=True)
    load_through_init_cfg(model, {'model': sd}, tmp_path / 'cls.pth',
                          strict=True)
    model = model.double().eval()
    x = torch.randn(2, 3, 201, 223, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(0))
    head = (sd['head.l.weight'].double(), sd['head.l.bias'].double())
    with torch.no_grad():
        ref = official_forward(_double(sd), x, 'tiny', dense=False)[0]
        logits = F.linear(model(x)[0], *head)
        model.switch_to_deploy()
        deployed = F.linear(model(x)[0], *head)
    assert rel_error(logits, ref) < 1e-8
    assert rel_error(deployed, ref) < 1e-8
    assert not any(isinstance(m, _BatchNorm) and 'mixer.bn' not in n
                   and n != 'norm3' for n, m in model.named_modules())

# --------------------------------------------------------------------------
# Checkpoints


def test_official_checkpoint_keys_map_one_to_one():
    sd = official_state('s')
    dense, cls = LSNet(arch='s'), LSNet(arch='s', out_indices=(3, ),
                                        gap_before_final_norm=True)
    converted = LSNet.convert_checkpoint(sd, dense)
    dense.load_state_dict(converted.state_dict, strict=True)
    dropped = {g.what: g.keys for g in converted.dropped}
    assert sorted(dropped['classifier head']) == ['head.l.bias',
                                                  'head.l.weight']
    assert len(dropped['classifier norm']) == 5
    assert not any(k.startswith('norm') for k in dense.state_dict())
    assert torch.equal(dense.downsample_layers[2][1].conv.weight,
                       sd['blocks3.1.c.weight'])
    assert torch.equal(dense.stages[2][1].mixer.lkp.cv4.weight,
                       sd['blocks3.3.mixer.lkp.cv4.weight'])
    attn = dense.stages[3][1].mixer
    assert attn.attention_biases.shape == (4, 196)
    assert torch.equal(attn.attention_bias_idxs, official_bias_idxs(14))

    converted = LSNet.convert_checkpoint(sd, cls)
    cls.load_state_dict(converted.state_dict, strict=True)
    assert torch.equal(cls.norm3.running_var, sd['head.bn.running_var'])
    assert torch.equal(cls.stages[3][1].mixer.attention_biases,
                       sd['blocks4.3.mixer.m.attention_biases'])


def test_distilled_and_own_checkpoints_load(tmp_path):
    sd = official_state('t')
    sd.update({'head_dist.' + k[5:]: v for k, v in sd.items()
               if k.startswith('head.')})
    model = LSNet(arch='t', out_indices=(3, ), gap_before_final_norm=True)
    converted = LSNet.convert_checkpoint(sd, model)
    model.load_state_dict(converted.state_dict, strict=True)
    assert any('head_dist.l.weight' in g.keys for g in converted.dropped)
    # an mmcnn-layout checkpoint passes unrenamed
    own = randomise(LSNet(arch=TINY)).state_dict()
    fresh = load_through_init_cfg(LSNet(arch=TINY), {'state_dict': own},
                                  tmp_path / 'own.pth', strict=True)
    for key, value in fresh.state_dict().items():
        assert torch.equal(value, own[key]), key

# --------------------------------------------------------------------------
# Parameters and FLOPs against the paper and the official counter

PAPER = {'t': (11.4, 0.3), 's': (16.1, 0.5), 'b': (23.2, 1.3)}
# sum(p.numel()) of the official lsnet_{t,s,b}(num_classes=1000)
OFFICIAL_PARAMS = {'t': 11409832, 's': 16146304, 'b': 23313608}
# The official flops.py (fvcore on the fused classifier at 224, SKA counted
# as a depth-wise 3x3 conv), run on the official model code: per operator.
OFFICIAL_FLOPS = {
    't': dict(conv=314761344, matmul=573440, group_norm=423360,
              linear=384000, batch_norm=150528, pool=6144),
    's': dict(conv=536657984, matmul=655360, group_norm=564480,
              linear=448000, batch_norm=200704, pool=7168),
    'b': dict(conv=1243028480, matmul=737280, group_norm=2399040,
              linear=512000, batch_norm=852992, pool=8192),
}
# mmcnn.analysis on the deploy form (adds mmcv's conv-bias and the SE means)
OUR_FLOPS = {'t': 317842816, 's': 540975448, 'b': 1253324288}


@pytest.mark.parametrize('arch', ['t', 's', 'b'])
def test_params_and_flops_match_the_paper(arch):
    backbone = LSNet(arch=arch, out_indices=(3, ), gap_before_final_norm=True)
    params = count_params(backbone) + count_params(
        torch.nn.Linear(backbone.embed_dims[-1], 1000))
    assert params == OFFICIAL_PARAMS[arch]
    assert params / 1e6 == pytest.approx(PAPER[arch][0], rel=0.01)

    if arch == 't':  # as the tool counts it
        report = get_flops.main(['--arch', 'lsnet-t', '--shape', '224',
                                 '--deploy'])
    else:
        model = build_backbone_model(f'lsnet-{arch}', num_classes=1000,
                                     size=(224, 224), deploy=True)
        report = analyze(model, (torch.randn(1, 3, 224, 224), ))
    ops, official = report.flops_by_operator, OFFICIAL_FLOPS[arch]
    assert ops['conv'] + ops['ska'] == official['conv']
    for name in ('matmul', 'group_norm', 'linear', 'batch_norm'):
        assert ops[name] == official[name], name
    assert report.flops == OUR_FLOPS[arch]
    official_total = sum(official.values())
    assert report.flops == pytest.approx(official_total, rel=0.01)
    if arch != 'b':  # the paper's B (1.3G) is 4% above the official count
        assert round(official_total / 1e9, 1) == PAPER[arch][1]

# --------------------------------------------------------------------------
# The backbone contract


def test_contract_outputs_indices_freezing_and_errors():
    model = MODELS.build(dict(type='mmcnn.LSNet', arch=TINY,
                              out_indices=(-1, 1))).eval()
    assert model.out_indices == [1, 3]
    with torch.no_grad():
        outs = model(torch.randn(2, 3, 64, 128))
    assert [tuple(o.shape) for o in outs] == [(2, 32, 4, 8), (2, 64, 1, 2)]

    model = MODELS.build(dict(type='mmcnn.LSNet', arch=TINY,
                              frozen_stages=2, norm_eval=False)).train()
    frozen = [p for i in range(2) for m in model.stage_modules(i)
              for p in m.parameters()]
    assert frozen and not any(p.requires_grad for p in frozen)
    assert all(p.requires_grad for p in model.stages[2].parameters())
    assert not model.stages[1].training and model.stages[2].training
    sum(o.sum() for o in model(torch.randn(2, 3, 64, 64))).backward()
    assert all(p.grad is None for p in frozen)

    model = MODELS.build(dict(type='mmcnn.LSNet', arch=TINY,
                              norm_eval=True)).train()
    assert all(not m.training for m in model.modules()
               if isinstance(m, _BatchNorm))
    with pytest.raises(KeyError, match='Valid names: b, s, t'):
        LSNet(arch='x')
    with pytest.raises(ValueError, match='total stride 64'):
        model(torch.randn(1, 3, 63, 80))
    with pytest.raises(ValueError, match='divisible'):
        LSNet(arch=dict(widths=[12, 20, 24, 32], depths=[0, 2, 0, 0],
                        num_heads=[1] * 4))


def test_deploy_form_is_the_switched_form():
    # float64: in float32 the random weights' rounding reaches 1e-5
    model = randomise(MODELS.build(dict(type='mmcnn.LSNet',
                                        arch=TINY))).double().eval()
    x = torch.randn(1, 3, 67, 99, dtype=torch.float64)
    with torch.no_grad():
        before = model(x)
        model.switch_to_deploy()
        after = model(x)
    for a, b in zip(before, after):
        assert rel_error(a, b) < 1e-10
    built = MODELS.build(dict(type='mmcnn.LSNet', arch=TINY, deploy=True))
    built.load_state_dict(model.state_dict(), strict=True)


def test_tools_measure_it_unchanged(capsys):
    by_config = get_flops.main([str(CONFIGS / 'lsnet-t_8xb256_in1k.py'),
                                '--shape', '224'])
    # the config's classifier is the official one: head BN + linear
    assert by_config.params == OFFICIAL_PARAMS['t']
    assert by_config.flops == pytest.approx(OUR_FLOPS['t'], rel=0.01)
    results = benchmark.main([
        '--arch', 'lsnet-t', '--compare', 'lsnet-t:deploy', '--shape', '64',
        '--rounds', '1', '--iters', '1', '--warmup', '0', '--no-flops',
        '--device', 'cpu'])
    assert [r.spec.label for r in results] == ['lsnet-t', 'lsnet-t:deploy']
    capsys.readouterr()


def test_lsnet_fpn_puts_a_finer_level_first():
    neck = LSNetFPN([8, 16, 32, 64], 16, num_outs=5, start_level=0,
                    num_extra_trans_convs=1)
    outs = neck([torch.randn(1, c, 32 >> i, 32 >> i)
                 for i, c in enumerate([8, 16, 32, 64])])
    assert [o.shape[-1] for o in outs] == [64, 32, 16, 8, 4]
    # the official LSNetFPN's keys for the extra level
    assert sorted(k for k in neck.state_dict() if k.startswith('extra')) == [
        'extra_fpn_convs.0.conv.bias', 'extra_fpn_convs.0.conv.weight',
        'extra_trans_convs.0.conv.bias', 'extra_trans_convs.0.conv.weight']
    with pytest.raises(ValueError, match='num_extra_trans_convs'):
        LSNetFPN([8, 16], 16, num_outs=2, num_extra_trans_convs=2)

# --------------------------------------------------------------------------
# Configs: every one builds; one train and one test step per task


def _config(name: str) -> Config:
    cfg = Config.fromfile(str(CONFIGS / name))
    assert 'projects.lsnet.lsnet' in cfg.custom_imports.imports
    import_modules_from_strings(**cfg.custom_imports)
    init_default_scope(cfg.default_scope)
    cfg.model.backbone.init_cfg = None
    return cfg


def _small(cfg: Config) -> Config:
    """``cfg`` with the small LSNet of ``ARCHS['tiny']`` (every block
    type) and its widths in the neck or head: the config's own neck, heads
    and recipe at a fraction of the CPU time."""
    widths = ARCHS['tiny'][0]
    cfg.model.backbone.arch = _arch('tiny')
    if cfg.model.get('neck') and 'in_channels' in cfg.model.neck:
        cfg.model.neck.in_channels = widths
    else:
        cfg.model.head.in_channels = widths[-1]
    return cfg


def _build(cfg: Config):
    registry = {'mmdet': 'mmdet.registry', 'mmseg': 'mmseg.registry',
                'mmpose': 'mmpose.registry',
                'mmpretrain': 'mmpretrain.registry'}[cfg.default_scope]
    models = __import__(registry, fromlist=['MODELS']).MODELS
    if cfg.default_scope == 'mmpretrain':
        cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    if cfg.default_scope == 'mmseg':
        cfg.model.data_preprocessor.size = (64, 64)
    model = models.build(cfg.model)
    model.init_weights()
    return model


CONFIG_ARCHS: Dict[str, str] = {
    p.name: p.name.split('lsnet-')[1][0]
    for p in sorted(CONFIGS.glob('*.py'))}


@pytest.mark.parametrize('name', sorted(CONFIG_ARCHS))
def test_config_builds_the_arch_it_names(name):
    cfg = _config(name)
    backbone = cfg.model.backbone
    assert backbone.type == 'mmcnn.LSNet'
    assert backbone.arch == CONFIG_ARCHS[name]
    widths = ARCHS[backbone.arch][0]
    neck = cfg.model.get('neck') or {}
    if 'in_channels' in neck:
        assert list(neck.in_channels) == widths
    if cfg.default_scope in ('mmdet', 'mmseg'):
        assert backbone.init_cfg is None and backbone.norm_eval
        assert Config.fromfile(str(CONFIGS / name)).model.backbone.init_cfg \
            .checkpoint.endswith(f'lsnet_{backbone.arch}.pth')
    if cfg.default_scope == 'mmpretrain':
        assert cfg.model.head.in_channels == widths[-1]
        assert backbone.gap_before_final_norm
    if cfg.default_scope in ('mmpose', 'mmpretrain') and '-t_' in name:
        # (the det and seg models are built by their step tests below)
        model = _build(cfg)
        assert type(model.backbone).__name__ == 'LSNet'


def _step(model, cfg, data) -> dict:
    """One train step (the weights change, the losses are finite) and one
    test step; the det and cls recipes exempt the attention biases from
    weight decay as the official ones do (the segmentation one does not)."""
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    groups = {id(p): g for g in optim_wrapper.optimizer.param_groups
              for p in g['params']}
    bias = model.backbone.stages[3][1].mixer.attention_biases
    decay = cfg.optim_wrapper.optimizer.get('weight_decay', 0.)
    if cfg.default_scope in ('mmdet', 'mmpretrain'):
        assert decay > 0.
        decay = 0.
    assert groups[id(bias)]['weight_decay'] == decay
    first = model.backbone.downsample_layers[0][0].conv.weight
    before = first.detach().clone()
    model.train()
    log_vars = model.train_step(data, optim_wrapper)
    assert all(torch.isfinite(v).all() for v in log_vars.values())
    assert not torch.equal(before, first)
    model.eval()
    with torch.no_grad():
        return model.test_step(data)


@pytest.mark.parametrize('name', ['retinanet_lsnet-t_fpn_1x_coco.py',
                                  'mask-rcnn_lsnet-t_fpn_1x_coco.py'])
def test_det_train_and_test_step(name):
    from mmdet.testing import demo_mm_inputs
    cfg = _small(_config(name))
    with_mask = name.startswith('mask')
    if with_mask:
        cfg.model.train_cfg.rpn_proposal.update(nms_pre=100, max_per_img=50)
        cfg.model.test_cfg.rpn.update(nms_pre=100, max_per_img=50)
        cfg.model.train_cfg.rcnn.sampler.num = 32
    torch.manual_seed(0)
    model = _build(cfg)
    data = demo_mm_inputs(batch_size=2, image_shapes=[(3, 64, 96),
                                                      (3, 64, 64)],
                          num_items=[3, 2], num_classes=80,
                          with_mask=with_mask)
    with torch.no_grad():
        feats = model.extract_feat(torch.randn(1, 3, 64, 128))
    strides = [4, 8, 16, 32, 64] if with_mask else [8, 16, 32, 64, 128]
    assert [f.shape[-1] for f in feats] == [
        math.ceil(128 / s) for s in strides]
    results = _step(model, cfg, data)
    assert len(results) == 2
    for sample in results:
        assert sample.pred_instances.bboxes.shape[1] == 4
        if with_mask:
            assert sample.pred_instances.masks.shape[1:] == sample.ori_shape


def test_seg_train_and_test_step():
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    cfg = _small(_config('lsnet-t_fpn_8xb4-40k_ade20k-512x512.py'))
    model = _build(cfg)
    gen = torch.Generator().manual_seed(0)
    samples = []
    for _ in range(2):
        sample = SegDataSample(metainfo=dict(img_shape=(64, 64),
                                             ori_shape=(64, 64)))
        sample.gt_sem_seg = PixelData(
            data=torch.randint(0, 150, (1, 64, 64), generator=gen))
        samples.append(sample)
    data = dict(inputs=[torch.randint(0, 256, (3, 64, 64), generator=gen,
                                      dtype=torch.uint8) for _ in range(2)],
                data_samples=samples)
    results = _step(model, cfg, data)
    assert [r.pred_sem_seg.data.shape for r in results] == [(1, 64, 64)] * 2


def test_pose_train_and_test_step():
    from mmpose.testing import get_packed_inputs
    cfg = _small(_config('td-hm_lsnet-t_8xb32-210e_coco-256x192.py'))
    model = _build(cfg)
    codec = cfg.model.head.decoder
    width, height = codec.input_size
    data = get_packed_inputs(batch_size=1, img_shape=(height, width),
                             input_size=(width, height),
                             heatmap_size=codec.heatmap_size,
                             with_reg_label=False, with_simcc_label=False)
    with torch.no_grad():
        inputs = model.data_preprocessor(data)['inputs']
        heatmaps = model.head(model.extract_feat(inputs))
    assert heatmaps.shape == (1, 17, height // 4, width // 4)
    results = _step(model, cfg, data)
    assert results[0].pred_instances.keypoints.shape == (1, 17, 2)


def test_cls_train_and_test_step():
    from mmpretrain.structures import DataSample
    cfg = _small(_config('lsnet-t_8xb256_in1k.py'))
    model = _build(cfg)
    assert model.backbone.classifier_form
    assert model.head.fc.in_features == 64
    gen = torch.Generator().manual_seed(0)
    data = dict(inputs=[torch.randint(0, 256, (3, 96, 96), generator=gen,
                                      dtype=torch.uint8) for _ in range(2)],
                data_samples=[DataSample().set_gt_label(i) for i in (3, 7)])
    results = _step(model, cfg, data)
    assert [r.pred_score.shape for r in results] == [(1000, )] * 2


def test_metafile_lists_every_config_with_the_paper_numbers():
    import yaml
    root = CONFIGS.parents[2]
    meta = yaml.safe_load((CONFIGS.parent / 'metafile.yml').read_text())
    models = {Path(m['Config']).name: m for m in meta['Models']}
    assert sorted(models) == sorted(CONFIG_ARCHS)
    for name, model in models.items():
        assert (root / model['Config']).is_file()
        assert model['Name'] == name[:-3]
    for arch, (params, flops) in PAPER.items():
        metadata = models[f'lsnet-{arch}_8xb256_in1k.py']['Metadata']
        assert metadata['Parameters'] == OFFICIAL_PARAMS[arch]
        assert metadata['FLOPs'] == sum(OFFICIAL_FLOPS[arch].values())


def test_exports_to_onnx_at_two_sizes():
    """The deploy form exports with symbolic sizes (SKA traced as its
    out-of-place form, equal to the autograd function; the attention bias
    resized in the graph) and ONNX Runtime matches PyTorch at the export
    size and two others."""
    from mmcnn.deploy import compare, export_onnx, ort_session
    x = torch.randn(2, 8, 9, 7)
    weight = torch.randn(2, 4, 9, 9, 7)
    from projects.lsnet.lsnet.ska import ska_traceable
    torch.testing.assert_close(ska_traceable(x, weight), ska(x, weight))
    model = MODELS.build(dict(type='mmcnn.LSNet', arch='t',
                              gap_before_final_norm=True)).eval()
    model.switch_to_deploy()
    # the classifier form's attention bias is learned on the 4x4 grid of a
    # 224 input: exported there, resized in the graph at other sizes
    session = ort_session(export_onnx(model, torch.randn(1, 3, 224, 224)))
    for size in ((224, 224), (281, 283), (97, 75)):
        assert compare(model, session,
                       torch.randn(1, 3, *size)).max_rel_diff <= 1e-4

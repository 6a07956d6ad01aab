"""``--amp`` without a GPU: bfloat16 autocast through mmcnn's
CPUAmpOptimWrapper (mmengine's AmpOptimWrapper refuses to start on a CPU),
and tools/train.py --amp running on the CPU.

Tolerance of one training step against float32 (MogaNet-XT classifier,
4 images of 64x64, SGD): bfloat16 keeps 8 significant bits (relative
rounding 2**-9, about 0.2 %) in the convolutions and matrix products,
float32 elsewhere. The loss may differ by 1 % relative and the parameter
update by 5 % in L2 norm (measured: 0.004 % and 0.9 %), with a cosine
similarity above 0.999 (measured 0.99997).
"""
import copy
import math
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS, init_default_scope

from mmcnn.engine.optimizers import CPUAmpOptimWrapper
from mmcnn.engine.runner_setup import use_amp
from mmcnn.models.layers.dwconv import DepthwiseConv2d, force_algorithm
from tools.misc.make_demo_data import make_demo_data

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CLS = osp.join(REPO_ROOT, 'configs', 'cls', 'moganet',
               'moganet-xt_8xb128_in1k.py')
SEG = osp.join(REPO_ROOT, 'configs', 'seg', 'moganet',
               'moganet-xt_fpn_1xb4-40iter_demo-64x64.py')


def _classifier() -> torch.nn.Module:
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(CLS)
    cfg.model.train_cfg = None  # no Mixup/CutMix: the same batch twice
    cfg.model.backbone.drop_path_rate = 0.
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def _step(model: torch.nn.Module, wrapper: OptimWrapper, data: dict) -> float:
    model.train()
    log = model.train_step(copy.deepcopy(data), wrapper)
    return float(log['loss'].detach())


def test_one_bf16_step_matches_fp32():
    pytest.importorskip('mmpretrain')
    from mmpretrain.structures import DataSample
    model = _classifier()
    reference = copy.deepcopy(model)
    before = {k: v.clone() for k, v in model.named_parameters()}
    gen = torch.Generator().manual_seed(0)
    data = dict(
        inputs=[torch.randint(0, 256, (3, 64, 64), generator=gen,
                              dtype=torch.uint8) for _ in range(4)],
        data_samples=[DataSample().set_gt_label(i) for i in range(4)])
    dtypes = []
    first_conv = next(m for m in model.modules()
                      if isinstance(m, torch.nn.Conv2d))
    first_conv.register_forward_hook(
        lambda module, args, out: dtypes.append(out.dtype))

    with force_algorithm('channels_last'):  # no timed trial: faster
        loss32 = _step(reference, OptimWrapper(
            optimizer=torch.optim.SGD(reference.parameters(), lr=0.1)), data)
    amp = OPTIM_WRAPPERS.build(dict(
        type='mmcnn.CPUAmpOptimWrapper',
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    assert isinstance(amp, CPUAmpOptimWrapper)
    loss16 = _step(model, amp, data)

    assert dtypes == [torch.bfloat16]  # the forward ran under autocast
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert math.isfinite(loss16)
    assert loss16 == pytest.approx(loss32, rel=1e-2)
    update32 = torch.cat([(p.detach() - before[k]).flatten()
                          for k, p in reference.named_parameters()])
    update16 = torch.cat([(p.detach() - before[k]).flatten()
                          for k, p in model.named_parameters()])
    error = float((update16 - update32).norm() / update32.norm())
    assert 0 < error < 5e-2, error  # bfloat16 did change the numbers
    assert float(torch.nn.functional.cosine_similarity(
        update16, update32, dim=0)) > 0.999


@pytest.mark.parametrize('dilation', [1, 2, 3])
def test_depthwise_weight_gradient_under_the_wrapper(dilation):
    """A depth-wise convolution on a channels-last channel slice, as in
    MogaNet's multi-order block: the weight gradient under the wrapper's
    context is within bfloat16 rounding of float64. (torch 2.9's bfloat16
    channels-last kernel returns errors of 1 to 1e18 here for dilation
    above 1; the wrapper runs those on NCHW inputs.)"""
    torch.manual_seed(0)
    conv = DepthwiseConv2d(16, 7, dilation=dilation)
    wrapper = CPUAmpOptimWrapper(
        optimizer=torch.optim.SGD(conv.parameters(), lr=0.1))
    base = torch.randn(2, 48, 32, 40).contiguous(
        memory_format=torch.channels_last)
    x = base[:, 16:32]
    grad = torch.randn(2, 16, 32, 40)
    for _ in range(3):
        conv.zero_grad()
        with wrapper.optim_context(conv):
            out = conv(x)
        assert out.dtype == torch.bfloat16
        out.backward(grad.to(out.dtype))
        assert 'forward' not in vars(conv)  # restored after the context
        got = conv.weight.grad
        reference = conv.double()
        with force_algorithm('direct'):
            (expected, ) = torch.autograd.grad(
                reference(x.double()), reference.weight, grad.double())
        conv.float()
        error = float((got.double() - expected).abs().max() /
                      expected.abs().max())
        assert error < 2e-2, error


def test_wrapper_refuses_float16_and_use_amp_picks_it_on_cpu():
    with pytest.raises(ValueError, match='bfloat16 only'):
        CPUAmpOptimWrapper(
            dtype='float16',
            optimizer=torch.optim.SGD([torch.nn.Parameter(torch.ones(1))],
                                      lr=0.1))
    if torch.cuda.is_available():
        pytest.skip('use_amp picks AmpOptimWrapper on a GPU')
    cfg = Config(dict(optim_wrapper=dict(
        type='OptimWrapper', loss_scale=512., optimizer=dict(type='SGD'))))
    assert use_amp(cfg) == 'mmcnn.CPUAmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert 'loss_scale' not in cfg.optim_wrapper


@pytest.mark.skipif(torch.cuda.is_available(),
                    reason='checks the CPU path of tools/train.py --amp')
def test_train_tool_amp_runs_an_iteration_on_cpu(tmp_path):
    root = make_demo_data(
        str(tmp_path / 'demo'), tasks=['seg'], num_train=4, num_val=1,
        seg_size=(64, 64), verbose=False)['seg']['root']
    work_dir = tmp_path / 'work'
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', SEG, '--amp', '--work-dir',
         str(work_dir), '--cfg-options', 'train_cfg.max_iters=1',
         'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None',
         'default_hooks.logger.interval=1',
         'default_hooks.checkpoint.interval=1',
         f'train_dataloader.dataset.data_root={root}',
         'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False'],
        cwd=REPO_ROOT, env=dict(os.environ, OMP_WAIT_POLICY='PASSIVE'),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert 'AmpOptimizerWrapper is only available' not in proc.stdout
    losses = [float(v) for v in re.findall(r'\bloss: (\S+)', proc.stdout)]
    assert len(losses) == 1 and math.isfinite(losses[0])
    assert (work_dir / 'iter_1.pth').is_file()
    saved = Config.fromfile(str(work_dir / osp.basename(SEG)))
    assert saved.optim_wrapper.type == 'mmcnn.CPUAmpOptimWrapper'
    assert saved.optim_wrapper.dtype == 'bfloat16'

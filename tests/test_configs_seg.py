"""Every segmentation config builds, trains one step and predicts.

Each config under ``configs/seg`` is loaded as a user would, its model is
built through mmseg's registry (SyncBN replaced by BN for one process,
no pre-trained weights), its optimiser wrapper through mmengine, and one
``train_step`` and one ``test_step`` run on a tiny synthetic batch.
"""
import os.path as osp
from typing import Any, Dict

import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

from _configs import (GATED, LARGE_KERNEL, REPO_ROOT, check_metafiles,
                      config_root, load_task_config, paper_params,
                      task_configs, train_then_test)

CONFIG_ROOT = config_root('seg')
CONFIGS = task_configs('seg')
SIZE = 64


def _sync_bn_to_bn(cfg: Any) -> Any:
    """Copy of a config tree with every SyncBN norm replaced by BN."""
    if isinstance(cfg, dict):
        return ConfigDict({
            key: 'BN' if key == 'type' and value == 'SyncBN' else
            _sync_bn_to_bn(value)
            for key, value in cfg.items()
        })
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(_sync_bn_to_bn(item) for item in cfg)
    return cfg


def _build(path: str):
    """Config, model and optimiser wrapper of one config file."""
    from mmseg.registry import MODELS
    cfg = load_task_config(path, 'mmseg')
    model_cfg = _sync_bn_to_bn(cfg.model)
    model_cfg.data_preprocessor.size = (SIZE, SIZE)
    model = MODELS.build(model_cfg)
    return cfg, model, build_optim_wrapper(model, cfg.optim_wrapper)


def _batch(num_classes: int) -> Dict[str, list]:
    """Two random images with random label maps (some pixels ignored)."""
    from mmseg.structures import SegDataSample
    generator = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for _ in range(2):
        inputs.append(torch.randint(0, 256, (3, SIZE, SIZE),
                                    generator=generator, dtype=torch.uint8))
        labels = torch.randint(0, num_classes, (1, SIZE, SIZE),
                               generator=generator)
        labels[:, :4] = 255
        sample = SegDataSample(metainfo=dict(
            img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE)))
        sample.gt_sem_seg = PixelData(data=labels)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def test_metafile_lists_every_config():
    check_metafiles('seg')


def test_configs_found():
    names = {osp.basename(p) for p in CONFIGS}
    for arch in ('xt', 't', 's', 'b', 'l'):
        assert f'moganet-{arch}_fpn_8xb4-80k_ade20k-512x512.py' in names
    for arch in ('xt', 't', 's', 'b', 'l', 'xl'):
        assert f'moganet-{arch}_upernet_8xb2-160k_ade20k-512x512.py' in names


@pytest.mark.parametrize('family,stem', GATED)
def test_gated_configs_found(family, stem):
    """UperNet 160k and Semantic FPN 80k per gated / dynamic family."""
    names = {osp.relpath(p, osp.join(CONFIG_ROOT, family)) for p in CONFIGS}
    assert f'{stem}_upernet_8xb2-160k_ade20k-512x512.py' in names
    assert f'{stem}_fpn_8xb4-80k_ade20k-512x512.py' in names


@pytest.mark.parametrize('family,stem', LARGE_KERNEL)
def test_large_kernel_configs_found(family, stem):
    """UperNet 160k and Semantic FPN 80k per family."""
    names = {osp.relpath(p, osp.join(CONFIG_ROOT, family)) for p in CONFIGS}
    assert f'{stem}_upernet_8xb2-160k_ade20k-512x512.py' in names
    assert f'{stem}_fpn_8xb4-80k_ade20k-512x512.py' in names


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_train_step_and_test_step(path):
    cfg, model, optim_wrapper = _build(path)
    assert cfg.default_scope == 'mmseg'
    assert cfg.model.backbone.type == f'mmcnn.{type(model.backbone).__name__}'
    expected = paper_params(path)
    if expected is not None:
        num_params = sum(p.numel() for p in model.parameters())
        assert num_params == pytest.approx(expected, rel=1e-2)
    num_classes = model.decode_head.num_classes
    data = _batch(num_classes)
    log_vars, results = train_then_test(model, data, optim_wrapper,
                                        model.decode_head.conv_seg.weight)
    losses = {k: v for k, v in log_vars.items() if 'loss' in k}
    assert 'decode.loss_ce' in losses
    assert ('aux.loss_ce' in losses) == ('auxiliary_head' in cfg.model)
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
    for result in results:
        pred = result.pred_sem_seg.data
        assert pred.shape == (1, SIZE, SIZE)
        assert 0 <= int(pred.min()) and int(pred.max()) < num_classes
        assert result.seg_logits.data.shape == (num_classes, SIZE, SIZE)


def _groups_by_name(model, optim_wrapper) -> Dict[str, dict]:
    by_id = {id(p): g for g in optim_wrapper.optimizer.param_groups
             for p in g['params']}
    return {n: by_id[id(p)] for n, p in model.named_parameters()}


def test_upernet_no_decay_on_norms_and_scales():
    path = osp.join(REPO_ROOT, 'configs', 'seg', 'moganet',
                    'moganet-xt_upernet_8xb2-160k_ade20k-512x512.py')
    cfg, model, optim_wrapper = _build(path)
    groups = _groups_by_name(model, optim_wrapper)
    wd = cfg.optim_wrapper.optimizer.weight_decay
    assert wd == 0.01
    no_decay = ('backbone.blocks1.0.layer_scale_1',
                'backbone.blocks2.1.attn.sigma.scale',
                'backbone.blocks3.0.mlp.sigma.scale',
                'backbone.blocks3.0.norm1.weight', 'backbone.norm4.bias')
    for name in no_decay:
        assert groups[name]['weight_decay'] == 0.0, name
    for name in ('backbone.blocks1.0.attn.proj_1.weight',
                 'decode_head.fpn_bottleneck.conv.weight'):
        assert groups[name]['weight_decay'] == pytest.approx(wd), name


def _lr_after(cfg: Config, optim_wrapper, num_iters: int) -> float:
    from mmengine.registry import PARAM_SCHEDULERS
    schedulers = [
        PARAM_SCHEDULERS.build(s, default_args=dict(optimizer=optim_wrapper))
        for s in cfg.param_scheduler
    ]
    for _ in range(num_iters):
        for scheduler in schedulers:
            scheduler.step()
    return optim_wrapper.optimizer.param_groups[0]['lr']


@pytest.mark.parametrize('step', [750, 1500, 3000])
def test_upernet_lr_matches_poly_with_linear_warmup(step):
    """mmcv 1.x ``poly`` with warm-up: the warm-up factor scales the poly
    lr of the same iteration, ``lr = base * (1 - t / T) ** p * w(t)``.

    mmengine's ``end`` is exclusive (its factors reach their final value at
    ``end - 1``), hence the small tolerance.
    """
    path = osp.join(REPO_ROOT, 'configs', 'seg', 'moganet',
                    'moganet-xt_upernet_8xb2-160k_ade20k-512x512.py')
    cfg = Config.fromfile(path)
    init_default_scope('mmseg')
    optim_wrapper = build_optim_wrapper(
        torch.nn.Linear(2, 2), dict(cfg.optim_wrapper, paramwise_cfg=None))
    base, total, warmup, ratio = 1e-4, 160000, 1500, 1e-6
    factor = 1.0
    if step < warmup:
        factor = ratio + (1 - ratio) * step / warmup
    expected = base * (1 - step / total) * factor
    assert _lr_after(cfg, optim_wrapper, step) == pytest.approx(
        expected, rel=2e-3)

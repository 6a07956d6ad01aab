"""Every classification config builds, trains one step and predicts.

Each config under ``configs/cls`` is loaded as a user would, its
``ImageClassifier`` is built through mmpretrain's registry (with the
config's data preprocessor, as the runner does, so Mixup/CutMix run),
its optimiser wrapper through mmengine, and one ``train_step`` and one
``test_step`` run on two small random images.
"""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from _configs import (GATED, LARGE_KERNEL, REPO_ROOT, check_metafiles,
                      config_root, load_task_config, paper_params,
                      task_configs, train_then_test)

CONFIG_ROOT = config_root('cls')
CONFIGS = task_configs('cls')
SIZE = 64


def test_metafile_lists_every_config():
    check_metafiles('cls')


def test_configs_found():
    names = {osp.basename(p) for p in CONFIGS}
    for arch in ('xt', 't', 's', 'b', 'l', 'xl'):
        assert f'moganet-{arch}_8xb128_in1k.py' in names


@pytest.mark.parametrize('family,stem', GATED)
def test_gated_configs_found(family, stem):
    """An ImageNet-1k config per gated / dynamic family; HorNet and
    ConvFormer pool before their last norm, as their official classifiers
    do."""
    paths = [p for p in CONFIGS
             if osp.dirname(p) == osp.join(CONFIG_ROOT, family)
             and osp.basename(p).startswith(f'{stem}_')
             and p.endswith('_in1k.py')]
    assert len(paths) == 1, (stem, paths)
    backbone = Config.fromfile(paths[0]).model.backbone
    pooled = family in ('hornet', 'convformer')
    assert backbone.get('gap_before_final_norm', False) is pooled


@pytest.mark.parametrize('family,stem', LARGE_KERNEL)
def test_large_kernel_configs_found(family, stem):
    """An ImageNet-1k config per family whose classifier pools like the
    official one: a norm after the pooling where the official model has
    one (ConvNeXt V1/V2, SLaK, UniRepLKNet)."""
    paths = [p for p in CONFIGS
             if osp.dirname(p) == osp.join(CONFIG_ROOT, family)
             and osp.basename(p).startswith(f'{stem}_')]
    assert len(paths) == 1
    cfg = Config.fromfile(paths[0])
    pools_first = family in ('convnext', 'convnext-v2', 'slak', 'unireplknet')
    assert cfg.model.backbone.get('gap_before_final_norm', False) is (
        pools_first)
    assert (cfg.model.get('neck') is None) is pools_first


def test_slak_recipe_trains_sparse():
    """SLaK-T's official sparsity: 40% zeros, masks exchanged every 2000
    iterations, starting with half of a layer's active weights."""
    import mmcnn.engine  # noqa: F401
    from mmcnn.registry import HOOKS
    cfg = Config.fromfile(
        osp.join(CONFIG_ROOT, 'slak', 'slak-t_32xb128_in1k.py'))
    sparse = [h for h in cfg.custom_hooks
              if h.type == 'mmcnn.DynamicSparsityHook']
    assert len(sparse) == 1
    hook = HOOKS.build(sparse[0])
    assert (hook.sparsity, hook.interval, hook.prune_rate) == (0.4, 2000, 0.5)
    assert hook.init == 'erk' and hook.module is None


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_train_step_and_test_step(path):
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample
    cfg = load_task_config(path, 'mmpretrain')
    model_cfg = cfg.model
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model = MODELS.build(model_cfg)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert model.data_preprocessor.batch_augments is not None
    expected = paper_params(path)
    if expected is not None:
        num_params = sum(p.numel() for p in model.parameters())
        assert num_params == pytest.approx(expected, rel=1e-2)

    if type(model.backbone).classifier_form_arg is not None:
        # the official classifier's features, its final norm included
        assert model.backbone.classifier_form
    width = model.backbone.embed_dims[-1]
    assert model.head.fc.in_features == width
    num_classes = model.head.num_classes
    generator = torch.Generator().manual_seed(0)
    inputs = [
        torch.randint(0, 256, (3, SIZE, SIZE), generator=generator,
                      dtype=torch.uint8) for _ in range(2)
    ]
    samples = [DataSample().set_gt_label(label) for label in (3, 7)]
    data = dict(inputs=inputs, data_samples=samples)
    log_vars, results = train_then_test(model, data, optim_wrapper,
                                        model.head.fc.weight)
    assert torch.isfinite(log_vars['loss']) and log_vars['loss'] > 0
    for result in results:
        assert result.pred_score.shape == (num_classes, )
        assert float(result.pred_score.sum()) == pytest.approx(1.0, abs=1e-4)
        assert 0 <= int(result.pred_label) < num_classes

    by_id = {id(p): g for g in optim_wrapper.optimizer.param_groups
             for p in g['params']}
    groups = {n: by_id[id(p)] for n, p in model.named_parameters()}
    wd = cfg.optim_wrapper.optimizer.weight_decay
    for name, param in model.named_parameters():
        expected = 0.0 if param.ndim <= 1 else wd
        assert groups[name]['weight_decay'] == pytest.approx(expected), name


@pytest.mark.parametrize('arch,wd,magnitude,mixup,ema', [
    ('xt', 0.03, 7, 0.1, False),
    ('t', 0.04, 7, 0.1, False),
    ('s', 0.05, 9, 0.8, True),
    ('xl', 0.05, 9, 0.8, True),
])
def test_recipe_per_size(arch, wd, magnitude, mixup, ema):
    """The light models use the official repo's lighter regularisation."""
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'cls', 'moganet',
                 f'moganet-{arch}_8xb128_in1k.py'))
    assert cfg.optim_wrapper.optimizer.weight_decay == wd
    randaug = [t for t in cfg.train_dataloader.dataset.pipeline
               if t.type == 'RandAugment']
    assert [t.magnitude_level for t in randaug] == [magnitude]
    assert cfg.model.train_cfg.augments[0] == dict(type='Mixup', alpha=mixup)
    hooks = [h.type for h in cfg.get('custom_hooks', [])]
    assert ('EMAHook' in hooks) is ema
    assert cfg.train_dataloader.batch_size * 8 == 1024
    assert cfg.optim_wrapper.optimizer.lr == 1e-3

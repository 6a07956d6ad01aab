"""Every pose config builds, trains one step and predicts keypoints.

Each config under ``configs/pose`` is loaded as a user would, its
top-down model is built through mmpose's registry (no pre-trained
weights), its optimiser wrapper through mmengine, and one ``train_step``
and one flip-test ``test_step`` run on one instance at the config's own
input size (mmpose's packed-input helper supplies the data sample).
"""
import os.path as osp

import pytest
import torch
from mmengine.optim import build_optim_wrapper

from _configs import (GATED, LARGE_KERNEL, check_metafiles, config_root,
                      load_task_config, paper_params, task_configs,
                      train_then_test)

CONFIG_ROOT = config_root('pose')
CONFIGS = task_configs('pose')


def test_metafile_lists_every_config():
    check_metafiles('pose')


def test_configs_found():
    names = {osp.basename(p) for p in CONFIGS}
    for arch in ('xt', 't', 's', 'b'):
        for size in ('256x192', '384x288'):
            assert (f'td-hm_moganet-{arch}_8xb32-210e_coco-{size}.py'
                    in names)


@pytest.mark.parametrize('family,stem', GATED)
def test_gated_configs_found(family, stem):
    """A top-down heatmap 256x192 config per gated / dynamic family."""
    names = {osp.relpath(p, osp.join(CONFIG_ROOT, family)) for p in CONFIGS}
    assert f'td-hm_{stem}_8xb32-210e_coco-256x192.py' in names


@pytest.mark.parametrize('family,stem', LARGE_KERNEL)
def test_large_kernel_configs_found(family, stem):
    """A top-down heatmap 256x192 config per family."""
    names = {osp.relpath(p, osp.join(CONFIG_ROOT, family)) for p in CONFIGS}
    assert f'td-hm_{stem}_8xb32-210e_coco-256x192.py' in names


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_train_step_and_test_step(path):
    from mmpose.registry import MODELS
    from mmpose.testing import get_packed_inputs
    cfg = load_task_config(path, 'mmpose')
    model = MODELS.build(cfg.model)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    expected = paper_params(path)
    if expected is not None:
        num_params = sum(p.numel() for p in model.parameters())
        assert num_params == pytest.approx(expected, rel=1e-2)

    codec = cfg.model.head.decoder
    width, height = codec.input_size
    train_steps = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
    assert train_steps['GenerateTarget'].encoder == codec
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        steps = {t.type: t for t in cfg[loader].dataset.pipeline}
        assert tuple(steps['TopdownAffine'].input_size) == (width, height)
    data = get_packed_inputs(
        batch_size=1,
        img_shape=(height, width),
        input_size=(width, height),
        heatmap_size=codec.heatmap_size,
        with_reg_label=False,
        with_simcc_label=False)
    log_vars, results = train_then_test(model, data, optim_wrapper,
                                        model.head.final_layer.weight)
    assert torch.isfinite(log_vars['loss_kpt']) and log_vars['loss_kpt'] > 0
    assert 0.0 <= float(log_vars['acc_pose']) <= 1.0
    with torch.no_grad():
        inputs = model.data_preprocessor(data)['inputs']
        heatmaps = model.head(model.extract_feat(inputs))
    assert heatmaps.shape == (1, 17, height // 4, width // 4)
    assert tuple(codec.heatmap_size) == (width // 4, height // 4)
    pred = results[0].pred_instances
    assert pred.keypoints.shape == (1, 17, 2)
    assert pred.keypoint_scores.shape == (1, 17)
    assert torch.isfinite(torch.as_tensor(pred.keypoints)).all()

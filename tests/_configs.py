"""Shared pieces of the config and dataset tests: config discovery, the
families each task must cover, the per-family metafile checks, a train and
test step, and the checks of a packed top-down pose sample."""
import glob
import os.path as osp
from typing import List, Optional, Tuple

import torch
import yaml
from mmengine.config import Config
from mmengine.registry import init_default_scope

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# (config folder, config stem prefix) of every family's T/S-size configs.
LARGE_KERNEL = [('convnext', 'convnext-t'), ('convnext-v2', 'convnext-v2-t'),
                ('replknet', 'replknet-31b'), ('slak', 'slak-t'),
                ('unireplknet', 'unireplknet-t'),
                ('inceptionnext', 'inceptionnext-t')]
GATED = [('van', 'van-b2'), ('hornet', 'hornet-t'),
         ('focalnet', 'focalnet-t-srf'), ('focalnet', 'focalnet-t-lrf'),
         ('internimage', 'internimage-t'), ('poolformer', 'poolformer-s12'),
         ('convformer', 'convformer-s18')]


def config_root(task: str) -> str:
    return osp.join(REPO_ROOT, 'configs', task)


def task_configs(task: str) -> List[str]:
    """Every config file of ``task`` (absolute paths, sorted)."""
    return sorted(glob.glob(osp.join(config_root(task), '**', '*.py'),
                            recursive=True))


def load_task_config(path: str, scope: str) -> Config:
    """``path`` ready for a CPU test in ``scope``: checks that the config
    runs there with an mmcnn backbone, drops the backbone's checkpoint
    download and makes ``scope`` the default."""
    cfg = Config.fromfile(path)
    assert cfg.default_scope == scope, cfg.default_scope
    assert cfg.model.backbone.type.startswith('mmcnn.')
    cfg.model.backbone.init_cfg = None
    init_default_scope(scope)
    return cfg


def train_then_test(model: torch.nn.Module, data: dict, optim_wrapper,
                    weight: torch.Tensor) -> Tuple[dict, list]:
    """One training step on ``data``, which must change ``weight`` (a
    parameter of ``model``), then one test step on the same batch, one
    result per sample; returns the step's log variables and the results."""
    before = weight.detach().clone()
    model.train()
    log_vars = model.train_step(data, optim_wrapper)
    assert not torch.equal(before, weight.detach())
    model.eval()
    with torch.no_grad():
        results = model.test_step(data)
    assert len(results) == len(data['data_samples'])
    return log_vars, results


def topdown_keypoint_weights(item: dict) -> torch.Tensor:
    """The keypoint weights ``(1, 17)`` of a packed COCO top-down training
    sample at 256x192, after checking its image ``(3, 256, 192)``, its
    heatmaps ``(17, 64, 48)`` and its keypoints ``(1, 17, 2)``."""
    assert item['inputs'].shape == (3, 256, 192)
    sample = item['data_samples']
    assert sample.gt_fields.heatmaps.shape == (17, 64, 48)
    assert sample.gt_instances.keypoints.shape == (1, 17, 2)
    weights = sample.gt_instance_labels.keypoint_weights
    assert weights.shape == (1, 17)
    return weights


def paper_params(path: str) -> Optional[int]:
    """The Parameters the family's metafile gives for a config, if any."""
    with open(osp.join(osp.dirname(path), 'metafile.yml')) as f:
        models = yaml.safe_load(f)['Models']
    for model in models:
        if osp.basename(model['Config']) == osp.basename(path):
            return model['Metadata'].get('Parameters')
    return None


def check_metafiles(task: str) -> None:
    """Each family metafile of ``task`` lists exactly its folder's configs
    (demo configs excepted) with names, collection and parameters."""
    metafiles = glob.glob(osp.join(config_root(task), '*', 'metafile.yml'))
    assert metafiles
    for meta in metafiles:
        with open(meta) as f:
            doc = yaml.safe_load(f)
        listed = {osp.join(REPO_ROOT, m['Config']) for m in doc['Models']}
        configs = set(glob.glob(osp.join(osp.dirname(meta), '*.py')))
        assert listed == {c for c in configs if '_demo-' not in c}
        for model in doc['Models']:
            assert model['In Collection'] == doc['Collections'][0]['Name']
            assert model['Metadata']['Parameters'] > 0
            assert model['Name'] == osp.splitext(
                osp.basename(model['Config']))[0]

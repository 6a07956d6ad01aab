"""Shared pieces of the config tests: config discovery, the families each
task must cover, and the per-family metafile checks."""
import glob
import os.path as osp
from typing import List, Optional

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

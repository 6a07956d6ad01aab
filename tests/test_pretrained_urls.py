"""The configs' pretrained checkpoints come from one table of official
releases (:mod:`mmcnn.utils.pretrained`): each config names its arch's
release, a URL is downloaded into the torch hub cache on first use (shown
against a server on 127.0.0.1 serving a file in the release's layout) and
the errors for a missing file or a failed download say what to do."""
import argparse
import os.path as osp
from pathlib import Path
from urllib.parse import urlparse

import pytest
import torch
import yaml
from mmengine.config import Config
from test_model_zoo import zoo  # noqa: F401

from mmcnn.models import MogaNet
from mmcnn.utils.pretrained import (LAYOUTS, RELEASES, SCRATCH_OVERRIDE,
                                     find_release, release_for)
from mmcnn.registry import MODELS
from mmcnn.utils.checkpoint import CheckpointError, load_checkpoint_file
from test_safe_loading import hub_cache, http_root  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[1]
TASKS = ('cls', 'det', 'seg', 'pose')
# Configs that start from another release than the supervised ImageNet-1k
# checkpoint of their arch.
VARIANTS = {'configs/cls/convnext-v2/convnext-v2-t_32xb32_in1k.py': 'fcmae'}
DIRECT_HOSTS = ('https://github.com/', 'https://dl.fbaipublicfiles.com/',
                'https://huggingface.co/')
DEMO_CONFIG = 'configs/det/moganet/retinanet_moganet-xt_fpn_1x_coco.py'
TINY = dict(embed_dims=[8, 16, 24, 32], depths=[1, 1, 1, 1],
            ffn_ratios=[2, 2, 2, 2])


def all_configs():
    return sorted(
        str(p.relative_to(ROOT)) for task in TASKS
        for p in (ROOT / 'configs' / task).rglob('*.py'))


def test_every_config_names_its_archs_release(zoo):
    """det/seg/pose configs (demos aside) start from a checkpoint, and
    every checkpoint is the table's entry for the config's backbone arch."""
    checked = 0
    for config in all_configs():
        ref = zoo.config_backbone(str(ROOT), config)
        assert ref is not None and ref.type and ref.arch, config
        dense = not config.startswith('configs/cls/')
        if dense and '_demo-' not in config and 'demo.py' not in config:
            assert ref.checkpoint, f'{config} has no pretrained checkpoint'
        if ref.checkpoint is None:
            continue
        release = release_for(ref.type, ref.arch,
                              VARIANTS.get(config, 'in1k'))
        assert release is not None, (
            f'{config}: no release of {ref.type} {ref.arch} in the table')
        assert ref.checkpoint == release.checkpoint, config
        checked += 1
    assert checked >= 150


@pytest.mark.parametrize('config', [
    'configs/seg/moganet/moganet-l_fpn_8xb4-80k_ade20k-512x512.py',
    'configs/pose/hornet/td-hm_hornet-t_8xb32-210e_coco-256x192.py',
    'configs/cls/convnext-v2/convnext-v2-t_32xb32_in1k.py',
])
def test_static_reader_agrees_with_mmengine(zoo, config):
    """The tool reads configs without mmengine (fast); on configs with a
    local base chain and a package base it gives what mmengine merges."""
    backbone = Config.fromfile(str(ROOT / config)).model.backbone
    ref = zoo.config_backbone(str(ROOT), config)
    assert (ref.type, ref.arch, ref.checkpoint) == (
        backbone.type, backbone.arch, backbone.init_cfg.checkpoint)


def test_table_entries_are_consistent():
    keys = [(r.backbone, r.arch, r.variant) for r in RELEASES]
    assert len(keys) == len(set(keys))
    for release in RELEASES:
        model = MODELS.get(release.backbone)
        assert model is not None, release.backbone
        assert release.arch in model.arch_zoo, release.label
        assert release.layout in LAYOUTS
        assert release.page.startswith('https://')
        if release.url is None:
            assert release.checkpoint == f'checkpoints/{release.file_name}'
            continue
        assert release.url.startswith(DIRECT_HOSTS), release.url
        # The cache file is named after the URL: it must be the file name.
        assert osp.basename(urlparse(release.url).path) == release.file_name
        if release.url.startswith('https://huggingface.co/'):
            assert '/resolve/main/' in release.url
        assert find_release(release.url) is release
        assert find_release(f'/elsewhere/{release.file_name}') is release


def test_metafiles_name_each_configs_release(zoo):
    """Each metafile model's ``Pretrained Weights`` is its config's
    checkpoint (URL or local path with its page); a classification model's
    ``Weights`` is the released classifier."""
    seen = 0
    for metafile in zoo.find_metafiles(str(ROOT)):
        for entry in yaml.safe_load((ROOT / metafile).read_text())['Models']:
            ref = zoo.config_backbone(str(ROOT), entry['Config'])
            pretrained = entry.get('Pretrained Weights')
            if ref.checkpoint is None:
                assert pretrained is None, entry['Name']
                continue
            release = find_release(ref.checkpoint)
            assert pretrained == zoo.pretrained_entry(release), entry['Name']
            assert ref.checkpoint in (pretrained.get('URL'),
                                      pretrained.get('Local Path'))
            if release.url is None:
                assert pretrained['Page'] == release.page
                assert 'no direct download' in pretrained['Note']
            seen += 1
        if metafile.startswith('configs/cls/'):
            for entry in yaml.safe_load(
                    (ROOT / metafile).read_text())['Models']:
                ref = zoo.config_backbone(str(ROOT), entry['Config'])
                classifier = release_for(ref.type, ref.arch, 'in1k-ema') or \
                    release_for(ref.type, ref.arch)
                assert entry.get('Weights') == classifier.url, entry['Name']
    assert seen >= 150


def timm_release(model: torch.nn.Module, seed: int) -> dict:
    """A file in the timm layout (MogaNet's release): random non-trivial
    weights with the classifier head, EMA weights and argparse args."""
    torch.manual_seed(seed)
    weights = {k: torch.randn_like(v) if v.is_floating_point() else v
               for k, v in model.state_dict().items()}
    weights['head.weight'] = torch.randn(1000, 256)
    weights['head.bias'] = torch.randn(1000)
    ema = {k: v + 1 for k, v in weights.items() if v.is_floating_point()}
    return {'epoch': 299, 'arch': 'moganet_xtiny', 'state_dict': weights,
            'state_dict_ema': ema, 'metric': 76.5,
            'args': argparse.Namespace(model='moganet_xtiny', lr=1e-3)}


def test_config_url_is_downloaded_to_the_cache_and_loaded(
        http_root, hub_cache):  # noqa: F811
    """A det config's backbone, with the release's URL base pointed at the
    local server, downloads the file on first use into the torch hub cache
    and loads it; a second build reads the cached file."""
    root, base = http_root
    release = release_for('MogaNet', 'xtiny')
    cfg = Config.fromfile(str(ROOT / DEMO_CONFIG)).model.backbone
    official = cfg.init_cfg.checkpoint
    assert official == release.url
    cfg.init_cfg.checkpoint = official.replace(
        official.rsplit('/', 1)[0], base)
    assert cfg.init_cfg.checkpoint == f'{base}/{release.file_name}'
    file = timm_release(MODELS.build(cfg.copy()), seed=0)
    torch.save(file, root / release.file_name)
    served = file['state_dict']

    for attempt in ('download', 'cache'):
        backbone = MODELS.build(cfg.copy())
        backbone.init_weights()
        assert (hub_cache / release.file_name).is_file(), attempt
        own = backbone.state_dict()
        same = [k for k, v in own.items()
                if k in served and torch.equal(v, served[k])]
        assert len(same) >= 0.9 * len(own), attempt
        assert next(iter(own)) in same, attempt
        (root / release.file_name).unlink(missing_ok=True)


@pytest.mark.parametrize(
    'release', [r for r in RELEASES if r.url is None],
    ids=lambda r: f'{r.backbone}-{r.arch}')
def test_missing_manual_release_names_page_and_local_path(
        tmp_path, monkeypatch, release):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint_file(release.checkpoint)
    message = str(err.value)
    assert release.page in message
    assert str(tmp_path / 'checkpoints' / release.file_name) in message
    assert SCRATCH_OVERRIDE in message
    assert 'without a direct download link' in message


def test_missing_file_error_reaches_the_backbone(tmp_path, monkeypatch):
    """Through init_cfg as the runner calls it: the page, the path tried
    and the override."""
    monkeypatch.chdir(tmp_path)
    release = release_for('SLaK', 'tiny')
    model = MogaNet(arch=TINY, init_cfg=dict(type='Pretrained',
                                             checkpoint=release.checkpoint))
    with pytest.raises(CheckpointError) as err:
        model.init_weights()
    for part in (release.page, str(tmp_path / release.local_path),
                 'model.backbone.init_cfg=None'):
        assert part in str(err.value)


def test_missing_unknown_file_names_the_path_and_override(tmp_path,
                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint_file('work_dirs/mine.pth')
    message = str(err.value)
    assert str(tmp_path / 'work_dirs' / 'mine.pth') in message
    assert 'init_cfg / load_from / --resume' in message
    assert SCRATCH_OVERRIDE in message


def test_failed_download_names_url_cache_page_and_override(
        http_root, hub_cache):  # noqa: F811
    """A mirror of an official file that cannot be fetched (404 here): the
    URL, the cache path it would land at, the release page, the override."""
    _, base = http_root
    release = release_for('ConvNeXt', 'tiny')
    url = f'{base}/{release.file_name}'
    with pytest.raises(CheckpointError) as err:
        load_checkpoint_file(url)
    message = str(err.value)
    for part in (url, str(hub_cache / release.file_name), release.page,
                 SCRATCH_OVERRIDE, 'HTTP Error 404'):
        assert part in message
    assert not (hub_cache / release.file_name).exists()

    with pytest.raises(CheckpointError) as err:
        load_checkpoint_file(f'{base}/unknown.pth')
    assert str(hub_cache / 'unknown.pth') in str(err.value)
    assert SCRATCH_OVERRIDE in str(err.value)


def test_share_page_given_as_checkpoint_names_the_local_path(
        hub_cache):  # noqa: F811
    """A release page pasted as the checkpoint names no file: nothing is
    fetched and the error says where the configs expect the file."""
    release = release_for('HorNet', 'tiny')
    with pytest.raises(CheckpointError) as err:
        load_checkpoint_file(release.page)
    assert release.local_path in str(err.value)
    assert SCRATCH_OVERRIDE in str(err.value)
    assert not hub_cache.exists() or not any(hub_cache.iterdir())


def test_cached_file_is_used_without_network(hub_cache):  # noqa: F811
    """The advice of the download error holds: a file placed at the cache
    path is read without any download (the URL is unreachable)."""
    release = release_for('MogaNet', 'xtiny')
    model = MogaNet(arch=TINY)
    hub_cache.mkdir(parents=True)
    weights = {k: torch.full_like(v, 0.5) if v.is_floating_point() else v
               for k, v in model.state_dict().items()}
    torch.save({'state_dict': weights}, hub_cache / release.file_name)
    url = f'http://127.0.0.1:9/{release.file_name}'
    model = MogaNet(arch=TINY, init_cfg=dict(type='Pretrained',
                                             checkpoint=url))
    model.init_weights()
    first = next(iter(model.parameters()))
    assert torch.all(first == 0.5)

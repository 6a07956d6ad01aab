"""The tools read every checkpoint with the safe reader: a code-running
checkpoint given as ``load_from`` (over HTTP), ``--resume`` (over HTTP) or
to ``tools/test.py`` is refused with a non-zero exit and never runs, also
under ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``, which is named in a warning.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_safe_loading import http_root, payload  # noqa: F401

from tools.misc.make_demo_data import make_demo_data

REPO = Path(__file__).resolve().parents[1]
CONFIG = 'configs/det/moganet/retinanet_moganet-xt_fpn_20e_demo.py'


@pytest.fixture(scope='module')
def demo_root(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp('demo')
    return make_demo_data(str(out), tasks=['det'], num_train=2, num_val=1,
                          verbose=False)['det']['root']


def data_options(root: str):
    ann = f'{root}/annotations/instances_val.json'
    return [*(f'{split}_dataloader.dataset.data_root={root}/'
              for split in ('train', 'val', 'test')),
            f'val_evaluator.ann_file={ann}', f'test_evaluator.ann_file={ann}',
            'model.backbone.init_cfg=None']


def run(args, tmp_path: Path, unsafe_env: bool) -> subprocess.CompletedProcess:
    env = dict(os.environ, TORCH_HOME=str(tmp_path / 'torch_home'))
    env.pop('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', None)
    if unsafe_env:
        env['TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'] = '1'
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize('how', ['load_from_url', 'resume_url', 'test_tool'])
def test_tools_refuse_code_running_checkpoints(tmp_path, http_root,  # noqa
                                              demo_root, how):
    root, base = http_root
    (root / 'evil.pth').write_bytes(payload(tmp_path).read_bytes())
    work_dir = str(tmp_path / 'work')
    options = ['--cfg-options', *data_options(demo_root)]
    unsafe_env = how != 'load_from_url'
    if how == 'load_from_url':
        args = ['tools/train.py', CONFIG, '--work-dir', work_dir, *options,
                f'load_from={base}/evil.pth']
    elif how == 'resume_url':
        args = ['tools/train.py', CONFIG, '--work-dir', work_dir, '--resume',
                f'{base}/evil.pth', *options]
    else:
        args = ['tools/test.py', CONFIG, str(tmp_path / 'payload.pth'),
                '--work-dir', work_dir, *options]
    proc = run(args, tmp_path, unsafe_env)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output[-3000:]
    assert 'CheckpointError: Refused to load' in output, output[-3000:]
    assert 'posix.mkdir' in output
    assert not (tmp_path / 'pwned').exists()
    if unsafe_env:
        assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 is set' in output
        assert 'mmcnn ignores it' in output


def test_train_tool_downloads_the_configs_release(tmp_path, http_root,  # noqa
                                                  demo_root):
    """``tools/train.py`` on a det config whose backbone names its official
    release URL (here served from 127.0.0.1) downloads the file into the
    torch hub cache, loads it through the safe reader (one INFO line) and
    trains; nothing is downloaded by hand."""
    import torch
    from test_pretrained_urls import timm_release

    from mmcnn.models import MogaNet
    from mmcnn.utils.pretrained import release_for
    root, base = http_root
    release = release_for('MogaNet', 'xtiny')
    torch.save(timm_release(MogaNet(arch='xtiny'), seed=0),
               root / release.file_name)
    config = tmp_path / 'own.py'
    config.write_text(
        f"_base_ = '{REPO}/configs/det/moganet/"
        "retinanet_moganet-xt_fpn_1x_coco.py'\n"
        'from mmcnn.custom_data import use_custom_data  # noqa: E402\n'
        f'use_custom_data(_base_, data_root={demo_root + "/"!r}, '
        "classes=('circle', 'square', 'triangle'), "
        "train=dict(ann_file='annotations/instances_train.json', "
        "img='train/'), val=dict(ann_file='annotations/instances_val.json',"
        " img='val/'), resize_ratio=0.25)\n")
    proc = run(['tools/train.py', str(config), '--work-dir',
                str(tmp_path / 'work'), '--cfg-options',
                f'model.backbone.init_cfg.checkpoint={base}/'
                f'{release.file_name}', 'train_cfg.max_epochs=1'],
               tmp_path, unsafe_env=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    cached = tmp_path / 'torch_home' / 'hub' / 'checkpoints' / \
        release.file_name
    assert cached.is_file()
    loaded = [line for line in output.splitlines()
              if f"Loaded '{base}/{release.file_name}' into MogaNet" in line]
    assert len(loaded) == 1, output[-3000:]
    assert '0 of the model not in the file' in loaded[0]
    assert (tmp_path / 'work' / 'epoch_1.pth').is_file()

"""End to end: ``tools/train.py`` then ``tools/test.py`` as a user runs them.

On the real samples in ``../shared/data``: a few training iterations of
MogaNet-XT Semantic FPN, UperNet (ADE20K images) and top-down pose (COCO
persons, detector boxes at test time), then an evaluation of the saved
checkpoint that must print mmseg's mIoU or mmpose's keypoint AP, and write
the ``--show-dir`` pictures.  On the generated demo sets: the demo configs
train from scratch and their metric must end clearly above its start.

The child processes run with ``OMP_WAIT_POLICY=PASSIVE``: on a shared
2-core machine, OpenMP threads that spin while waiting make every step many
times slower; the setting changes no result.
"""
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys
from typing import Dict, List, Tuple

import pytest

from tools.misc.make_demo_data import make_demo_data

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SEG_DIR = osp.join(REPO_ROOT, 'configs', 'seg', 'moganet')
POSE_DIR = osp.join(REPO_ROOT, 'configs', 'pose', 'moganet')
TIMEOUT = 900

# The end of both sample configs: no validation during training (so no
# best checkpoint to keep), a log line every iteration.
NO_VALIDATION = """\
val_cfg = None
val_dataloader = None
val_evaluator = None
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(save_best=None))
"""

SEG_SAMPLE = """\
_base_ = {base!r}
data_root = {root!r}
crop_size = (64, 64)
model = dict(
    data_preprocessor=dict(size=crop_size), backbone=dict(init_cfg=None))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='RandomResize', scale=(256, 64), ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(512, 128), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs'),
]
data_prefix = dict(img_path='images', seg_map_path='annotations')
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, data_prefix=data_prefix,
                 pipeline=train_pipeline))
test_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, data_prefix=data_prefix,
                 pipeline=test_pipeline))
train_cfg = dict(max_iters=3)
""" + NO_VALIDATION

POSE_SAMPLE = """\
_base_ = {base!r}
data_root = {root!r}
model = dict(backbone=dict(init_cfg=None))
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, ann_file='test_coco.json',
                 data_prefix=dict(img=''), indices=4))
test_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, ann_file='test_coco.json',
                 bbox_file=data_root + 'test_coco_det_AP_H_56.json',
                 filter_cfg=dict(bbox_score_thr=0.5),
                 data_prefix=dict(img='')))
test_evaluator = dict(ann_file=data_root + 'test_coco.json')
train_cfg = dict(max_epochs=1)
""" + NO_VALIDATION


def _run(*args: str) -> str:
    """Run a repository tool with this Python; return stdout + stderr."""
    env = dict(os.environ, OMP_WAIT_POLICY='PASSIVE')
    proc = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return proc.stdout


def _metric(log: str, key: str) -> float:
    """The last value of ``key`` printed in an mmengine log."""
    values = re.findall(re.escape(key) + r':\s*(-?[0-9.]+)', log)
    assert values, f'{key} not printed:\n{log[-3000:]}'
    return float(values[-1])


def _val_history(work_dir: str, key: str) -> List[float]:
    """Values of ``key`` at every validation, from mmengine's scalars."""
    (path, ) = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        records = [json.loads(line) for line in f if line.strip()]
    return [r[key] for r in records if key in r]


def _train(config: str, tmp_path, *options: str) -> str:
    """Train ``config`` (with ``--cfg-options options``) in a new work
    dir under ``tmp_path``; return the work dir."""
    work_dir = str(tmp_path / 'work')
    extra = ('--cfg-options', *options) if options else ()
    _run('tools/train.py', config, '--work-dir', work_dir, *extra)
    return work_dir


def _train_then_test(config: str, tmp_path,
                     checkpoint: str) -> Tuple[str, str]:
    """Train ``config``, check that it saved ``checkpoint`` and test that,
    drawing into ``<work_dir>/vis``; return the work dir and the test
    log."""
    work_dir = _train(config, tmp_path)
    path = osp.join(work_dir, checkpoint)
    assert osp.isfile(path)
    return work_dir, _run('tools/test.py', config, path, '--work-dir',
                          work_dir, '--show-dir', 'vis')


def _pngs(root: str) -> List[str]:
    return glob.glob(osp.join(root, '**', '*.png'), recursive=True)


def _write(path: str, text: str) -> str:
    with open(path, 'w') as f:
        f.write(text)
    return path


@pytest.mark.parametrize('config', [
    'moganet-xt_fpn_8xb4-80k_ade20k-512x512.py',
    'moganet-xt_upernet_8xb2-160k_ade20k-512x512.py',
])
def test_seg_train_then_test_on_ade_sample(config, shared_data, tmp_path):
    cfg = _write(
        str(tmp_path / config),
        SEG_SAMPLE.format(
            base=osp.join(SEG_DIR, config),
            root=osp.join(shared_data, 'ade_sample')))
    work_dir, test_log = _train_then_test(cfg, tmp_path, 'iter_3.pth')
    assert 0.0 <= _metric(test_log, 'mIoU') <= 100.0
    assert 0.0 <= _metric(test_log, 'aAcc') <= 100.0
    assert len(_pngs(osp.join(work_dir, 'vis'))) == 3


def test_pose_train_then_test_on_coco_sample(shared_data, tmp_path):
    config = 'td-hm_moganet-xt_8xb32-210e_coco-256x192.py'
    cfg = _write(
        str(tmp_path / config),
        POSE_SAMPLE.format(
            base=osp.join(POSE_DIR, config),
            root=osp.join(shared_data, 'coco_sample') + os.sep))
    work_dir, test_log = _train_then_test(cfg, tmp_path, 'epoch_1.pth')
    assert 0.0 <= _metric(test_log, 'coco/AP') <= 1.0
    assert 0.0 <= _metric(test_log, 'coco/AR') <= 1.0
    with open(osp.join(shared_data, 'coco_sample',
                       'test_coco_det_AP_H_56.json')) as f:
        images = {det['image_id'] for det in json.load(f)
                  if det['score'] >= 0.5}
    # tools/test.py draws the persons of one image into one PNG, named
    # after the image, in <work_dir>/vis as for the other tasks.
    drawn = glob.glob(osp.join(work_dir, 'vis', '*.png'))
    assert len(drawn) == len(images)


@pytest.fixture(scope='module')
def demo_data(tmp_path_factory) -> Dict[str, Dict[str, str]]:
    """The demo seg and pose sets, generated with their default sizes."""
    return make_demo_data(
        str(tmp_path_factory.mktemp('demo')), tasks=('seg', 'pose'),
        verbose=False)


@pytest.mark.slow
def test_seg_demo_learns(demo_data, tmp_path):
    root = demo_data['seg']['root']
    work_dir = _train(
        osp.join(SEG_DIR, 'moganet-xt_fpn_1xb4-40iter_demo-64x64.py'),
        tmp_path, f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}')
    history = _val_history(work_dir, 'mIoU')
    assert len(history) == 4
    assert history[-1] >= history[0] + 5.0, history


@pytest.mark.slow
def test_pose_demo_learns(demo_data, tmp_path):
    paths = demo_data['pose']
    root = paths['root'] + os.sep
    work_dir = _train(
        osp.join(POSE_DIR, 'td-hm_moganet-xt_1xb8-10e_demo-96x64.py'),
        tmp_path, f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.bbox_file={paths["val_det"]}',
        f'val_evaluator.ann_file={paths["val_ann"]}')
    history = _val_history(work_dir, 'coco/AP')
    assert len(history) == 2
    assert history[-1] >= history[0] + 0.1, history

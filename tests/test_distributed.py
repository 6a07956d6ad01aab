"""tools/dist_train.sh on CPU (gloo): 2 processes match 1 process.

Each rank's loss per step is recorded; with the same total batch, their
mean must equal the single-process loss at every step (DDP averages the
gradients, so the updates, and hence later losses, agree too).
"""
import os
import socket
import subprocess
import sys

import cv2
import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

RECORDER = '''
import os
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class LossRecorder(Hook):
    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        rank = int(os.environ.get('RANK', 0))
        path = os.path.join(runner.work_dir, f'loss_rank{rank}.txt')
        with open(path, 'a') as f:
            f.write(repr(float(outputs['loss'])) + '\\n')
'''

CONFIG = '''
_base_ = '{base}'
custom_imports = dict(
    imports=['mmcnn.models', 'mmcnn.engine', 'loss_recorder'],
    allow_failed_imports=False)
model = dict(
    backbone=dict(drop_path_rate=0., norm_eval=True, init_cfg=None),
    head=dict(num_classes=2, topk=(1, )),
    train_cfg=dict(_delete_=True))
pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=64),
            dict(type='PackInputs')]
train_dataloader = dict(
    batch_size={batch}, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(_delete_=True, type='CustomDataset', data_root='{data}',
                 pipeline=pipeline))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
optim_wrapper = dict(_delete_=True, optimizer=dict(type='SGD', lr=0.05))
param_scheduler = []
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=3)
default_hooks = dict(checkpoint=dict(interval=1000), logger=dict(interval=1))
custom_hooks = [dict(type='LossRecorder')]
randomness = dict(seed=0)
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def run(cmd, tmp_path, work_dir):
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
               PORT=str(free_port()),
               PYTHONPATH=f'{tmp_path}{os.pathsep}{REPO}')
    proc = subprocess.run(cmd + ['--work-dir', str(work_dir)], cwd=REPO,
                          env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def losses(path):
    return [float(v) for v in path.read_text().split()]


@pytest.mark.slow
def test_two_cpu_processes_match_one(tmp_path):
    rng = np.random.RandomState(0)
    for label in ('a', 'b'):
        os.makedirs(tmp_path / 'data' / label)
        for i in range(4):
            cv2.imwrite(str(tmp_path / 'data' / label / f'{i}.png'),
                        rng.randint(0, 255, (48, 48, 3), dtype=np.uint8))
    (tmp_path / 'loss_recorder.py').write_text(RECORDER)
    base = os.path.join(REPO, 'configs/cls/moganet/moganet-xt_8xb128_in1k.py')
    for name, batch in (('single', 4), ('dist', 2)):
        (tmp_path / f'{name}.py').write_text(CONFIG.format(
            base=base, batch=batch, data=tmp_path / 'data'))
    run([sys.executable, 'tools/train.py', str(tmp_path / 'single.py')],
        tmp_path, tmp_path / 'single')
    output = run(['bash', 'tools/dist_train.sh', str(tmp_path / 'dist.py'),
                  '2'], tmp_path, tmp_path / 'dist')
    for noise in ('pkg_resources', 'Grad strides', 'GPU number',
                  'paramwise_options'):
        assert noise not in output, noise
    assert 'Processes: 2' in output
    single = losses(tmp_path / 'single' / 'loss_rank0.txt')
    ranks = [losses(tmp_path / 'dist' / f'loss_rank{r}.txt') for r in (0, 1)]
    assert len(single) == len(ranks[0]) == len(ranks[1]) == 3
    mean = [(a + b) / 2 for a, b in zip(*ranks)]
    assert mean == pytest.approx(single, rel=1e-4, abs=1e-6)
    assert ranks[0] != pytest.approx(ranks[1], rel=1e-3)

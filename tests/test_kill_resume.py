"""SIGKILL a real training run mid-epoch, ``--resume`` it and finish: the
final weights equal those of an uninterrupted run bit for bit (MogaNet-XT
RetinaNet, demo data, CPU, seed 0, ``randomness.deterministic=True``).

Random states travel in the checkpoints (``mmcnn.RNGStateHook``). The
deterministic setting matters: it turns off the timed choice of depth-wise
convolution algorithms (like cuDNN's benchmark mode, a timed trial may pick
a different, differently rounded algorithm in each process), without which
the runs agree only to about 1e-5.
"""
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import pytest
import torch

from mmcnn.utils.checkpoint import load_checkpoint_file
from tools.misc.make_demo_data import make_demo_data

REPO = Path(__file__).resolve().parents[1]
CONFIG = 'configs/det/moganet/retinanet_moganet-xt_fpn_20e_demo.py'
SECOND_EPOCH_STARTED = re.compile(r'Epoch\(train\) +\[2\]\[1/3\]')


def train_cmd(data_root: str, work_dir: Path) -> List[str]:
    return [
        sys.executable, 'tools/train.py', CONFIG, '--work-dir',
        str(work_dir), '--cfg-options', 'train_cfg.max_epochs=3',
        'train_cfg.val_interval=99',
        *(f'{split}_dataloader.dataset.data_root={data_root}/'
          for split in ('train', 'val', 'test')),
        *(f'{split}_evaluator.ann_file='
          f'{data_root}/annotations/instances_val.json'
          for split in ('val', 'test')),
        'default_hooks.checkpoint.interval=1',
        'default_hooks.checkpoint.max_keep_ckpts=5',
        'default_hooks.logger.interval=1', 'log_processor.window_size=1',
        'param_scheduler.1.end=3', 'randomness.deterministic=True'
    ]


def weights(work_dir: Path, epoch: int) -> dict:
    return load_checkpoint_file(str(work_dir / f'epoch_{epoch}.pth'))[
        'state_dict']


def run_to_end(cmd: List[str], env: dict) -> None:
    """Run ``cmd`` and fail with the tail of its output if it fails."""
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, (
        f'{" ".join(cmd[1:3])} exited with {done.returncode}:\n' +
        done.stderr[-3000:])


def kill_in_second_epoch(cmd: List[str], log_path: Path, env: dict) -> None:
    """Start ``cmd`` and SIGKILL it once its second epoch has begun."""
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        deadline = time.time() + 600
        while time.time() < deadline and proc.poll() is None:
            if SECOND_EPOCH_STARTED.search(log_path.read_text()):
                break
            time.sleep(0.1)
        assert proc.poll() is None, (
            'the run ended before it could be killed:\n' +
            log_path.read_text()[-3000:])
        proc.send_signal(signal.SIGKILL)
        proc.wait()


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(tmp_path):
    data = make_demo_data(str(tmp_path / 'demo'), tasks=('det', ),
                          num_train=12, num_val=4, verbose=False)
    root = data['det']['root']
    env = dict(os.environ, OMP_NUM_THREADS='2')
    straight = tmp_path / 'straight'
    run_to_end(train_cmd(root, straight), env)

    killed = tmp_path / 'killed'
    kill_in_second_epoch(train_cmd(root, killed), tmp_path / 'killed.log',
                         env)
    assert (killed / 'epoch_1.pth').is_file()
    assert not (killed / 'epoch_2.pth').exists()

    run_to_end(train_cmd(root, killed) + ['--resume'], env)
    expected, resumed = weights(straight, 3), weights(killed, 3)
    assert expected.keys() == resumed.keys()
    differing = [k for k in expected if not torch.equal(expected[k],
                                                        resumed[k])]
    assert not differing, f'{len(differing)} tensors differ, e.g. ' \
        f'{differing[:3]}'
    assert not torch.equal(weights(straight, 1)['backbone.norm4.weight'],
                           expected['backbone.norm4.weight'])

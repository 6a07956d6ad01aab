"""SIGKILL a real training run mid-epoch, --resume it, and finish: the final
weights equal those of an uninterrupted run (MogaNet-XT RetinaNet, demo
data, CPU, seed 0). RNG states travel in the checkpoints (RNGStateHook)."""
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import torch

from mmcnn.utils.checkpoint import load_checkpoint_file
from tools.misc.make_demo_data import make_demo_data

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = 'configs/det/moganet/retinanet_moganet-xt_fpn_20e_demo.py'


def train_cmd(data_root: str, work_dir: str) -> list:
    return [
        sys.executable, 'tools/train.py', CONFIG, '--work-dir', work_dir,
        '--cfg-options', 'train_cfg.max_epochs=3', 'train_cfg.val_interval=99',
        f'train_dataloader.dataset.data_root={data_root}/',
        'default_hooks.checkpoint.interval=1',
        'default_hooks.checkpoint.max_keep_ckpts=5',
        'default_hooks.logger.interval=1', 'log_processor.window_size=1',
        'param_scheduler.1.end=3'
    ]


def final_state(work_dir: str) -> dict:
    return load_checkpoint_file(os.path.join(work_dir,
                                             'epoch_3.pth'))['state_dict']


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(tmp_path):
    data = make_demo_data(str(tmp_path / 'demo'), tasks=('det', ),
                          num_train=12, num_val=4, verbose=False)
    root = data['det']['root']
    env = dict(os.environ, OMP_NUM_THREADS='2')
    straight = str(tmp_path / 'straight')
    subprocess.run(train_cmd(root, straight), cwd=REPO, env=env, check=True,
                   capture_output=True, timeout=900)

    killed = str(tmp_path / 'killed')
    log = open(tmp_path / 'killed.log', 'w')
    proc = subprocess.Popen(train_cmd(root, killed), cwd=REPO, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 600
    while time.time() < deadline and proc.poll() is None:
        text = (tmp_path / 'killed.log').read_text()
        if re.search(r'Epoch\(train\) +\[2\]\[1/3\]', text):
            break
        time.sleep(0.2)
    assert proc.poll() is None, 'the run ended before it could be killed'
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert os.path.isfile(os.path.join(killed, 'epoch_1.pth'))
    assert not os.path.isfile(os.path.join(killed, 'epoch_2.pth'))

    subprocess.run(train_cmd(root, killed) + ['--resume'], cwd=REPO,
                   env=env, check=True, capture_output=True, timeout=900)
    expected, resumed = final_state(straight), final_state(killed)
    assert expected.keys() == resumed.keys()
    assert all(torch.equal(expected[k], resumed[k]) for k in expected)

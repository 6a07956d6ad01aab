"""Saving never leaves a moment without a loadable checkpoint, writes
``last_checkpoint`` atomically, gives files the umask's mode and cleans up
the temporary files of killed saves (issue 13, items 5, 6 and 9)."""
import os
import os.path as osp
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import List

import mmengine
import pytest
import torch
from _toy import make_runner
from mmengine.runner import Runner
from mmengine.runner.checkpoint import save_checkpoint

import mmcnn.engine  # noqa: F401
from mmcnn.utils import fileio
from mmcnn.utils.checkpoint import load_checkpoint_file
from mmcnn.utils.resume import find_resume_checkpoint

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent

# Imported by the child runs through the config's custom_imports: registers
# the toy model and data set and, on request, SIGKILLs the process at an
# exact point of the epoch-2 save.
TOY_MODULE = textwrap.dedent(f"""
    import os
    import os.path as osp
    import signal
    import sys

    import torch
    from mmengine.registry import DATASETS, MODELS

    sys.path.insert(0, {str(TESTS)!r})
    from _toy import ToyClassifier, ToyData

    MODELS.register_module(module=ToyClassifier, force=True)
    DATASETS.register_module(module=ToyData, force=True)
    KILL = os.environ.get('SAVE_SAFETY_KILL')

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if KILL == 'checkpoint':
        # While the epoch-2 checkpoint is being serialised.
        torch_save = torch.save

        def save(obj, f, *args, **kwargs):
            if isinstance(obj, dict) and obj.get('meta', {{}}).get(
                    'epoch') == 2:
                die()
            return torch_save(obj, f, *args, **kwargs)

        torch.save = save
    elif KILL == 'last_checkpoint':
        # After the epoch-2 last_checkpoint's bytes are written, before
        # its rename.
        fsync = os.fsync

        def sync(fd):
            path = os.readlink(f'/proc/self/fd/{{fd}}')
            if (osp.basename(path).startswith('.last_checkpoint.')
                    and osp.isfile(osp.join(osp.dirname(path),
                                            'epoch_2.pth'))):
                die()
            return fsync(fd)

        os.fsync = sync
""")

TOY_CONFIG = """
custom_imports = dict(imports=['save_safety_toy'], allow_failed_imports=False)
default_scope = 'mmengine'
model = dict(type='ToyClassifier')
train_dataloader = dict(
    dataset=dict(type='ToyData'), batch_size=4, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'))
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3))
param_scheduler = dict(type='MultiStepLR', milestones=[1])
train_cfg = dict(by_epoch=True, max_epochs=3)
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts={keep}),
    logger=dict(type='LoggerHook', interval=1))
randomness = dict(seed=0)
"""


def toy_config(tmp_path: Path, keep: int) -> str:
    """Write the toy module and a config keeping ``keep`` checkpoints."""
    (tmp_path / 'save_safety_toy.py').write_text(TOY_MODULE)
    path = tmp_path / 'toy_config.py'
    path.write_text(TOY_CONFIG.format(keep=keep))
    return str(path)


def train_py(config: str, work_dir: Path, *extra: str,
             kill: str = '') -> subprocess.CompletedProcess:
    """Run tools/train.py on the toy config in a fresh process."""
    env = dict(os.environ, OMP_NUM_THREADS='1', SAVE_SAFETY_KILL=kill,
               PYTHONPATH=os.pathsep.join(
                   [osp.dirname(config), str(REPO),
                    os.environ.get('PYTHONPATH', '')]))
    return subprocess.run(
        [sys.executable, 'tools/train.py', config, '--work-dir',
         str(work_dir), *extra], cwd=REPO, env=env, capture_output=True,
        text=True, timeout=300)


def ok(done: subprocess.CompletedProcess) -> str:
    """The run's output, after checking it exited 0."""
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def checkpoints(work_dir: Path) -> List[str]:
    return sorted(p.name for p in work_dir.glob('*.pth'))


def recorded(work_dir: Path) -> str:
    """The path ``last_checkpoint`` names, after checking it loads."""
    named = (work_dir / 'last_checkpoint').read_text().strip()
    load_checkpoint_file(named)
    return named


def toy_runner(work_dir: Path, max_epochs: int, resume: bool = False,
               **checkpoint) -> Runner:
    """An in-process Runner on the toy model saving with mmcnn's hook."""
    return make_runner(
        str(work_dir), max_epochs, resume,
        default_hooks=dict(checkpoint=dict(type='mmcnn.CheckpointHook',
                                           interval=1, **checkpoint)))


def test_kill_while_saving_keeps_a_checkpoint_with_max_keep_1(tmp_path):
    """mmengine's hook deletes epoch_1.pth before writing epoch_2.pth: a
    kill while epoch 2 is being written left no checkpoint at all."""
    config, work_dir = toy_config(tmp_path, keep=1), tmp_path / 'work'
    killed = train_py(config, work_dir, kill='checkpoint')
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert checkpoints(work_dir) == ['epoch_1.pth']
    assert recorded(work_dir) == str(work_dir / 'epoch_1.pth')

    out = ok(train_py(config, work_dir, '--resume'))
    assert 'resumed epoch: 1, iter: 2' in out
    assert checkpoints(work_dir) == ['epoch_3.pth']
    assert recorded(work_dir) == str(work_dir / 'epoch_3.pth')
    # Still lists epoch 2, removed after the save: a resume from it would
    # remove epoch_2.pth had a kill come before that.
    assert load_checkpoint_file(str(work_dir / 'epoch_3.pth'))[
        'message_hub']['runtime_info']['keep_ckpt_ids'] == [2, 3]


def test_kill_while_writing_last_checkpoint_resumes(tmp_path):
    """Killed between writing ``last_checkpoint``'s bytes and renaming
    them: the old record stays whole, and the dead writer's temporary file
    goes at the next save."""
    if not osp.isdir('/proc/self/fd'):
        pytest.skip('needs /proc to find the file being synced')
    config, work_dir = toy_config(tmp_path, keep=1), tmp_path / 'work'
    killed = train_py(config, work_dir, kill='last_checkpoint')
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert checkpoints(work_dir) == ['epoch_1.pth', 'epoch_2.pth']
    assert recorded(work_dir) == str(work_dir / 'epoch_1.pth')
    temps = list(work_dir.glob('.last_checkpoint.*.tmp'))
    assert len(temps) == 1

    out = ok(train_py(config, work_dir, '--resume'))
    assert 'resumed epoch: 1, iter: 2' in out
    assert not temps[0].exists()
    assert checkpoints(work_dir) == ['epoch_3.pth']
    assert recorded(work_dir) == str(work_dir / 'epoch_3.pth')


def test_empty_last_checkpoint_resumes_from_newest_loadable(tmp_path):
    """An in-place ``last_checkpoint`` write killed halfway (mmengine's
    hook) leaves it empty; ``--resume`` says so and takes epoch_2.pth."""
    config, work_dir = toy_config(tmp_path, keep=-1), tmp_path / 'work'
    toy_runner(work_dir, max_epochs=2).train()
    kept = {name: (work_dir / name).stat().st_mtime_ns
            for name in ('epoch_1.pth', 'epoch_2.pth')}
    (work_dir / 'last_checkpoint').write_text('')

    out = ok(train_py(config, work_dir, '--resume'))
    assert (f'last_checkpoint is empty; resuming from the newest loadable '
            f'checkpoint instead: {work_dir / "epoch_2.pth"}') in out
    assert 'resumed epoch: 2, iter: 4' in out
    assert {name: (work_dir / name).stat().st_mtime_ns
            for name in kept} == kept
    assert recorded(work_dir) == str(work_dir / 'epoch_3.pth')


@pytest.fixture(scope='module')
def two_epochs(tmp_path_factory) -> Path:
    """A work dir holding epoch_1.pth and epoch_2.pth of the toy run."""
    work_dir = tmp_path_factory.mktemp('two_epochs')
    toy_runner(work_dir, max_epochs=2).train()
    assert checkpoints(work_dir) == ['epoch_1.pth', 'epoch_2.pth']
    return work_dir


def copy_run(src: Path, dst: Path) -> Path:
    """Copy a run's checkpoints, pointing ``last_checkpoint`` at the copy
    of the file the original names."""
    dst.mkdir()
    for name in checkpoints(src):
        (dst / name).write_bytes((src / name).read_bytes())
    named = osp.basename((src / 'last_checkpoint').read_text().strip())
    (dst / 'last_checkpoint').write_text(str(dst / named))
    return dst


def test_fallback_skips_missing_and_truncated_checkpoints(tmp_path,
                                                          two_epochs):
    work_dir = copy_run(two_epochs, tmp_path / 'run')
    notes: List[str] = []
    assert find_resume_checkpoint(str(work_dir), notes.append) == str(
        work_dir / 'epoch_2.pth')
    assert notes == []

    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_9.pth'))
    assert find_resume_checkpoint(str(work_dir), notes.append) == str(
        work_dir / 'epoch_2.pth')
    assert f'names {work_dir / "epoch_9.pth"}, which is missing' in notes[-1]

    data = (work_dir / 'epoch_2.pth').read_bytes()
    (work_dir / 'epoch_2.pth').write_bytes(data[:len(data) // 2])
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_2.pth'))
    assert find_resume_checkpoint(str(work_dir), notes.append) == str(
        work_dir / 'epoch_1.pth')
    assert 'epoch_2.pth, which is unreadable' in notes[-1]
    assert notes[-1].endswith(f'instead: {work_dir / "epoch_1.pth"}')

    (work_dir / 'epoch_1.pth').write_bytes(b'')
    assert find_resume_checkpoint(str(work_dir), notes.append) is None
    assert 'training starts from scratch' in notes[-1]
    assert 'epoch_1.pth: unreadable' in notes[-1]


def test_runner_resume_uses_the_fallback(tmp_path, two_epochs):
    """Plain ``Runner(resume=True)`` (mmdet's, mmseg's tools) with
    ``mmcnn.CheckpointHook`` resumes past an empty ``last_checkpoint``."""
    work_dir = copy_run(two_epochs, tmp_path / 'run')
    (work_dir / 'last_checkpoint').write_text('')
    runner = toy_runner(work_dir, max_epochs=3, resume=True)
    runner.train()
    assert (runner.epoch, runner.iter) == (3, 6)
    assert load_checkpoint_file(str(work_dir / 'epoch_3.pth'))['meta'][
        'iter'] == 6
    assert (work_dir / 'epoch_1.pth').read_bytes() == (
        two_epochs / 'epoch_1.pth').read_bytes()


def test_best_checkpoint_replaced_after_the_new_one_is_written(tmp_path):
    """The previous best checkpoint is removed only once the new best one
    exists; the outdated regular checkpoints still go."""
    work_dir = tmp_path / 'run'
    runner = toy_runner(work_dir, max_epochs=2, max_keep_ckpts=1,
                        save_best='acc', rule='greater')
    runner.train()
    hook = next(h for h in runner.hooks
                if type(h).__name__ == 'CheckpointHook')
    seen = []
    real_save = runner.save_checkpoint

    def save(out_dir, filename, *args, **kwargs):
        seen.append((filename, sorted(p.name for p in work_dir.glob(
            'best_*.pth'))))
        return real_save(out_dir, filename, *args, **kwargs)

    runner.save_checkpoint = save
    for epoch, acc in ((2, 0.5), (3, 0.7)):
        runner.train_loop._epoch = epoch
        hook._save_best_checkpoint(runner, {'acc': acc})
    assert seen[-2] == ('best_acc_epoch_3.pth', ['best_acc_epoch_2.pth'])
    assert sorted(p.name for p in work_dir.glob('*.pth')) == [
        'best_acc_epoch_3.pth', 'epoch_3.pth']
    assert recorded(work_dir) == str(work_dir / 'epoch_3.pth')


@pytest.mark.parametrize('umask', [0o022, 0o027])
def test_written_files_follow_the_umask(tmp_path, umask):
    work_dir = tmp_path / 'run'
    old = os.umask(umask)
    try:
        toy_runner(work_dir, max_epochs=1).train()
        mmengine.dump({'a': 1}, str(work_dir / 'dumped.json'))
    finally:
        os.umask(old)
    expected = 0o666 & ~umask
    modes = {str(p.relative_to(work_dir)): stat.S_IMODE(p.stat().st_mode)
             for p in work_dir.rglob('*') if p.is_file()}
    for name in ('epoch_1.pth', 'last_checkpoint', 'dumped.json'):
        assert modes.pop(name) == expected, name
    assert modes and all(m == expected for m in modes.values()), modes


def test_rewrite_keeps_the_existing_mode(tmp_path):
    path = tmp_path / 'record'
    fileio.AtomicLocalBackend().put_text('one', str(path))
    path.chmod(0o604)
    fileio.AtomicLocalBackend().put_text('two', str(path))
    assert path.read_text() == 'two'
    assert stat.S_IMODE(path.stat().st_mode) == 0o604


WRITER = textwrap.dedent("""
    import os, signal, sys, time
    import torch
    import mmcnn
    from mmengine.runner.checkpoint import save_checkpoint

    target, mode = sys.argv[1], sys.argv[2]

    def sync(fd):
        if mode == 'die':
            os.kill(os.getpid(), signal.SIGKILL)
        while not os.path.exists(target + '.go'):
            time.sleep(0.05)

    os.fsync = sync  # the bytes are in the temporary file, not renamed
    save_checkpoint({'state_dict': {'w': torch.ones(3)}}, target)
""")


def temps_of(path: Path) -> List[Path]:
    return list(path.parent.glob(f'.{path.name}.*.tmp'))


def test_next_save_removes_dead_writers_temps_only(tmp_path):
    dead, live = tmp_path / 'epoch_1.pth', tmp_path / 'epoch_2.pth'
    died = subprocess.run([sys.executable, '-c', WRITER, str(dead), 'die'])
    assert died.returncode == -signal.SIGKILL
    assert len(temps_of(dead)) == 1
    writer = subprocess.Popen(
        [sys.executable, '-c', WRITER, str(live), 'wait'])
    try:
        deadline = time.time() + 120
        while not temps_of(live) and time.time() < deadline:
            time.sleep(0.1)
        assert temps_of(live), 'the live writer never started writing'
        own_stale = Path(fileio.temp_path_for(str(tmp_path / 'epoch_0.pth')))
        other_host = tmp_path / '.epoch_0.pth.elsewhere.1.0123abcd.tmp'
        own_stale.write_bytes(b'x')
        other_host.write_bytes(b'x')

        save_checkpoint({'state_dict': {'w': torch.zeros(3)}},
                        str(tmp_path / 'epoch_3.pth'))
        assert temps_of(dead) == []
        assert not own_stale.exists()
        assert other_host.exists()
        assert len(temps_of(live)) == 1
    finally:
        Path(str(live) + '.go').touch()
        assert writer.wait(timeout=120) == 0
    assert torch.equal(load_checkpoint_file(str(live))['state_dict']['w'],
                       torch.ones(3))
    assert temps_of(live) == []


def test_this_process_keeps_its_in_flight_temp(tmp_path, monkeypatch):
    """A save finishing in one thread leaves another thread's temporary
    file alone while that one is still being written."""
    if not osp.isdir('/proc/self/fd'):
        pytest.skip('needs /proc to find the file being synced')
    slow, fast = tmp_path / 'slow.pth', tmp_path / 'fast.pth'
    started, release = threading.Event(), threading.Event()
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if osp.basename(os.readlink(f'/proc/self/fd/{fd}')).startswith(
                '.slow.pth.'):
            started.set()
            release.wait(60)
        real_fsync(fd)

    monkeypatch.setattr(os, 'fsync', fsync)
    thread = threading.Thread(
        target=fileio.atomic_write_bytes, args=(b'slow', str(slow)))
    thread.start()
    try:
        assert started.wait(60)
        fileio.atomic_write_bytes(b'fast', str(fast))
        assert len(temps_of(slow)) == 1
    finally:
        release.set()
        thread.join(60)
    assert slow.read_bytes() == b'slow' and temps_of(slow) == []

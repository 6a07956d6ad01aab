"""Resuming an epoch-based run from a mid-epoch iteration checkpoint
continues at the right batch and ends bit for bit where the uninterrupted
run ends (``mmcnn.EpochBasedTrainLoop``); mmengine's own loop replays the
interrupted epoch from its start."""
import shutil
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from _toy import ToyClassifier, ToyData
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmcnn.engine import EpochBasedTrainLoop, RNGStateHook
from mmcnn.utils.checkpoint import load_checkpoint_file
from mmcnn.engine.runner_setup import use_exact_resume_loop

# 8 samples in batches of 2: 4 iterations per epoch, 12 in 3 epochs.
# iter_6.pth is saved after batch 2 of the 4 of epoch 2, iter_8.pth after
# its last batch but before the epoch's end (its epoch hooks still to run).
KILLED_AT = (6, 8)
TOTAL = 12


class CountingData(ToyData):
    """ToyData (random brightness shift from numpy's global generator)
    counting the samples it loads."""

    def __init__(self) -> None:
        self.loaded = 0

    def __getitem__(self, index: int) -> dict:
        self.loaded += 1
        return super().__getitem__(index)


class CopyWorkDirAt(Hook):
    """Copy the work dir to ``dst/killed_at_K`` right after iteration K of
    ``iterations`` is saved: what a kill at that moment leaves on disk."""

    priority = 'LOWEST'

    def __init__(self, iterations: tuple, dst: Path) -> None:
        self.iterations = iterations
        self.dst = dst

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if runner.iter + 1 in self.iterations:
            shutil.copytree(runner.work_dir,
                            self.dst / f'killed_at_{runner.iter + 1}')


def make_runner(work_dir: Path, loop: str, hooks: tuple = (),
                resume_from: Optional[Path] = None) -> Runner:
    """3 epochs, stochastic depth, random augmentation, a checkpoint every
    2 iterations (``by_epoch=False``) and RNG states in checkpoints."""
    torch.manual_seed(0)
    return Runner(
        model=ToyClassifier(),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=CountingData(), batch_size=2,
                              num_workers=0,
                              sampler=dict(type='DefaultSampler',
                                           shuffle=True),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
        param_scheduler=dict(type='MultiStepLR', milestones=[2]),
        train_cfg=dict(type=loop, max_epochs=3),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2,
                                           by_epoch=False)),
        custom_hooks=[dict(type=RNGStateHook), *hooks],
        randomness=dict(seed=0),
        resume=resume_from is not None,
        load_from=None if resume_from is None else str(resume_from),
        default_scope='mmengine')


def assert_same_tensors(expected: dict, actual: dict, what: str) -> None:
    assert expected.keys() == actual.keys(), what
    differing = [k for k in expected if not torch.equal(expected[k],
                                                        actual[k])]
    assert not differing, f'{what}: {len(differing)} tensors differ, e.g. ' \
        f'{differing[:3]}'


def test_mid_epoch_resume_equals_uninterrupted_run(tmp_path):
    straight = make_runner(tmp_path / 'straight', 'mmcnn.EpochBasedTrainLoop',
                           hooks=(CopyWorkDirAt(KILLED_AT, tmp_path), ))
    assert type(straight.train_loop) is EpochBasedTrainLoop
    straight.train()
    assert straight.iter == TOTAL and straight.epoch == 3
    expected = load_checkpoint_file(
        str(tmp_path / 'straight' / f'iter_{TOTAL}.pth'))
    shutil.copytree(tmp_path / f'killed_at_{KILLED_AT[0]}',
                    tmp_path / 'plain')

    for killed_at in KILLED_AT:
        work_dir = tmp_path / f'killed_at_{killed_at}'
        assert not (work_dir / f'iter_{killed_at + 2}.pth').exists()
        resumed = make_runner(work_dir, 'mmcnn.EpochBasedTrainLoop',
                              resume_from=work_dir / f'iter_{killed_at}.pth')
        resumed.train()
        assert (resumed.iter, resumed.epoch) == (TOTAL, 3), killed_at
        # Skipped batches of the interrupted epoch are not loaded.
        assert resumed.train_dataloader.dataset.loaded == \
            (TOTAL - killed_at) * 2
        assert_same_tensors(straight.model.state_dict(),
                            resumed.model.state_dict(),
                            f'final model, resumed at {killed_at}')
        actual = load_checkpoint_file(str(work_dir / f'iter_{TOTAL}.pth'))
        assert_same_tensors(expected['state_dict'], actual['state_dict'],
                            f'final checkpoint, resumed at {killed_at}')
        for key, state in expected['optimizer']['state'].items():
            assert_same_tensors(state, actual['optimizer']['state'][key],
                                f'optimizer state {key}')
        assert torch.equal(expected['rng_state']['torch'],
                           actual['rng_state']['torch'])
        assert np.array_equal(expected['rng_state']['numpy'][1],
                              actual['rng_state']['numpy'][1])
        # The weights moved after the kill, so equality is not trivial.
        at_kill = load_checkpoint_file(
            str(work_dir / f'iter_{killed_at}.pth'))['state_dict']
        assert not torch.equal(at_kill['head.weight'],
                               expected['state_dict']['head.weight'])

    # Control: mmengine's loop replays epoch 2 from its first batch.
    plain_dir = tmp_path / 'plain'
    plain = make_runner(plain_dir, 'EpochBasedTrainLoop',
                        resume_from=plain_dir / f'iter_{KILLED_AT[0]}.pth')
    plain.train()
    assert plain.iter == KILLED_AT[0] + 2 * 4
    assert not torch.equal(plain.model.state_dict()['head.weight'],
                           straight.model.state_dict()['head.weight'])


def test_train_tool_swaps_epoch_loops_only():
    by_type = Config(dict(train_cfg=dict(type='EpochBasedTrainLoop',
                                         max_epochs=12, val_interval=1)))
    by_flag = Config(dict(train_cfg=dict(by_epoch=True, max_epochs=300)))
    by_iter = Config(dict(train_cfg=dict(type='IterBasedTrainLoop',
                                         max_iters=40)))
    iter_flag = Config(dict(train_cfg=dict(by_epoch=False, max_iters=40)))
    for cfg in (by_type, by_flag, by_iter, iter_flag):
        use_exact_resume_loop(cfg)
    assert by_type.train_cfg == dict(type='mmcnn.EpochBasedTrainLoop',
                                     max_epochs=12, val_interval=1)
    assert by_flag.train_cfg == dict(type='mmcnn.EpochBasedTrainLoop',
                                     max_epochs=300)
    assert by_iter.train_cfg == dict(type='IterBasedTrainLoop',
                                     max_iters=40)
    assert iter_flag.train_cfg == dict(by_epoch=False, max_iters=40)
    from mmdet.registry import LOOPS
    with DefaultScope.overwrite_default_scope('mmdet'):
        assert LOOPS.get('mmcnn.EpochBasedTrainLoop') is EpochBasedTrainLoop

"""A NaN loss stops training with a message; the last good checkpoint stays."""
import re

import pytest
import torch
from _toy import ToyClassifier, ToyData, make_runner
from mmengine.runner import Runner

from mmcnn.engine import FiniteLossHook
from mmcnn.utils.checkpoint import load_checkpoint_file


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    # 2 iterations per epoch: epoch 1 is saved, the loss is NaN at iter 3.
    runner = make_runner(str(tmp_path), max_epochs=3,
                         model=ToyClassifier(nan_at=3),
                         custom_hooks=[dict(type=FiniteLossHook)])
    with pytest.raises(FloatingPointError,
                       match=r'nan at iteration 3 .*epoch_1\.pth'):
        runner.train()
    assert not (tmp_path / 'epoch_2.pth').exists()
    state = load_checkpoint_file(str(tmp_path / 'epoch_1.pth'))['state_dict']
    assert all(torch.isfinite(v).all() for v in state.values()
               if v.is_floating_point())


MAX_ABS_WEIGHT = 1e6


def diverging_runner(work_dir: str, good_iters: int) -> Runner:
    """SGD whose learning rate becomes 1e38 after ``good_iters`` iterations
    (at once for 0), with a checkpoint every iteration; the exploding step's
    loss is still finite."""
    torch.manual_seed(0)
    scheduler = (dict(type='MultiStepLR', by_epoch=False,
                      milestones=[good_iters], gamma=1e41)
                 if good_iters else None)
    return Runner(
        model=ToyClassifier(),
        work_dir=work_dir,
        train_dataloader=dict(dataset=ToyData(), batch_size=4,
                              sampler=dict(type='DefaultSampler',
                                           shuffle=False),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(
            type='SGD', lr=1e-3 if good_iters else 1e38)),
        param_scheduler=scheduler,
        train_cfg=dict(by_epoch=True, max_epochs=3),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1,
                                           by_epoch=False)),
        custom_hooks=[dict(type=FiniteLossHook,
                           max_abs_weight=MAX_ABS_WEIGHT)],
        randomness=dict(seed=0),
        default_scope='mmengine')


def peak(state: dict) -> float:
    return max(float(v.abs().max()) for v in state.values()
               if v.is_floating_point())


@pytest.mark.parametrize('good_iters', [0, 2])
def test_exploded_weights_are_never_saved_or_called_good(tmp_path,
                                                         good_iters):
    runner = diverging_runner(str(tmp_path), good_iters)
    with pytest.raises(FloatingPointError) as info:
        runner.train()
    message = str(info.value)
    diverged = good_iters + 1
    saved = sorted(tmp_path.glob('*.pth'))
    for path in saved:
        assert peak(load_checkpoint_file(str(path))['state_dict']) \
            <= MAX_ABS_WEIGHT, f'{path.name} holds diverged weights'
    assert [p.name for p in saved] == [f'iter_{i}.pth'
                                       for i in range(1, diverged)]
    good = (f'{tmp_path}/iter_{good_iters}.pth' if good_iters else
            'none was saved yet')
    assert f'Last good checkpoint: {good}.' in message
    found = re.search(
        rf'diverged by iteration {diverged}: parameter (\S+) has max '
        r'\|w\| = (\S+) \(limit max_abs_weight=1e\+06\)\. Refused', message)
    assert found, message
    name, reported = found.group(1), float(found.group(2))
    assert reported > MAX_ABS_WEIGHT
    weights = dict(runner.model.named_parameters())
    assert float(weights[name].detach().abs().max()) == pytest.approx(
        reported, rel=1e-3)


def test_weight_limit_is_an_argument():
    with pytest.raises(ValueError, match='max_abs_weight must be positive'):
        FiniteLossHook(max_abs_weight=0)

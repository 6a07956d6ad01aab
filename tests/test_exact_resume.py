"""A resumed run reproduces the uninterrupted one exactly (toy model)."""
import pytest
import torch
from _toy import make_runner
from mmengine.hooks import Hook

from mmcnn.engine import RNGStateHook


class Interrupt(Exception):
    pass


class StopAfterFirstEpoch(Hook):
    """Interrupts the run once the first epoch's checkpoint is written."""

    priority = 'LOWEST'

    def after_train_epoch(self, runner) -> None:
        raise Interrupt


def final_weights(runner) -> dict:
    return {k: v.clone() for k, v in runner.model.state_dict().items()}


def run_interrupted(work_dir: str, hooks: list) -> dict:
    with pytest.raises(Interrupt):
        make_runner(work_dir, max_epochs=3,
                    custom_hooks=hooks + [StopAfterFirstEpoch()]).train()
    runner = make_runner(work_dir, max_epochs=3, resume=True,
                         custom_hooks=hooks)
    runner.train()
    assert runner.epoch == 3
    return final_weights(runner)


def test_resume_is_exact_with_rng_state_hook(tmp_path):
    hooks = [dict(type=RNGStateHook)]
    straight = make_runner(str(tmp_path / 'a'), max_epochs=3,
                           custom_hooks=hooks)
    straight.train()
    expected = final_weights(straight)
    resumed = run_interrupted(str(tmp_path / 'b'), hooks)
    assert all(torch.equal(expected[k], resumed[k]) for k in expected)
    without_hook = run_interrupted(str(tmp_path / 'c'), [])
    assert not all(torch.equal(expected[k], without_hook[k])
                   for k in expected)

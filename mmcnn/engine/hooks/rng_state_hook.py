"""Save and restore random-number-generator states with checkpoints."""
import random
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook

from mmcnn.registry import HOOKS


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Make ``--resume`` continue with the exact random streams of the run.

    mmengine re-seeds a resumed run from the config's seed, so data
    augmentation and stochastic depth after a resume differ from an
    uninterrupted run. This hook stores the Python, numpy and torch (and
    CUDA) generator states in every checkpoint and restores them when the
    run resumes (not when weights are merely loaded with ``load_from``).
    With ``num_workers=0`` (or workers that are re-created every epoch) a
    resumed run then reproduces the uninterrupted one.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._pending: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = dict(python=random.getstate(), numpy=np.random.get_state(),
                     torch=torch.get_rng_state())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint['rng_state'] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._pending = checkpoint.get('rng_state')

    def before_train(self, runner) -> None:
        state, self._pending = self._pending, None
        if state is None or runner.iter == 0:
            return
        random.setstate(_as_python_state(state['python']))
        np.random.set_state(state['numpy'])
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])


def _as_python_state(state: tuple) -> tuple:
    """``random.setstate`` needs tuples where pickling may give lists."""
    version, internal, gauss = state
    return version, tuple(internal), gauss

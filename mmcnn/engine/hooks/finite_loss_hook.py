"""Stop training on a non-finite loss, naming the iteration."""
import math
import os.path as osp
from typing import Optional

from mmengine.hooks import Hook

from mmcnn.registry import HOOKS


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise as soon as the training loss is NaN or infinite.

    Runs before the checkpoint hook of the same iteration, so no checkpoint
    with diverged weights is written and the last good one stays on disk.
    """

    priority = 'ABOVE_NORMAL'

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if not outputs or 'loss' not in outputs:
            return
        loss = float(outputs['loss'])
        if math.isfinite(loss):
            return
        last = osp.join(runner.work_dir, 'last_checkpoint')
        kept = (open(last).read().strip() if osp.isfile(last) else
                'none was saved yet')
        raise FloatingPointError(
            f'Loss became {loss} at iteration {runner.iter + 1} (epoch '
            f'{runner.epoch + 1}); training stopped. Last good checkpoint: '
            f'{kept}. Lower the learning rate, add gradient clipping '
            '(optim_wrapper.clip_grad) or check the data, then resume with '
            '--resume.')

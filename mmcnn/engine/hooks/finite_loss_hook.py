"""Stop training on a non-finite loss or diverged weights, naming the
iteration and the last good checkpoint."""
import math
import os.path as osp
from typing import Iterable, List, Optional, Tuple

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmcnn.registry import HOOKS


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise ``FloatingPointError`` as soon as training diverges.

    * A NaN or infinite loss stops training in ``after_train_iter``, before
      the checkpoint hook of the same iteration saves anything.
    * Before every checkpoint is written (``before_save_checkpoint``), the
      model's parameters are checked: a non-finite value, or one whose
      magnitude exceeds ``max_abs_weight``, refuses the save and stops
      training. A single step with a huge learning rate can explode the
      weights while the loss that produced it was still finite; such a
      checkpoint is never written, so ``last_checkpoint`` (named as the
      last good checkpoint in the message) only ever points at checked
      weights. Floating-point buffers (e.g. BatchNorm statistics) are
      checked for finiteness only.

    The check costs one fused reduction over the parameters per saved
    checkpoint; the offending tensor is only looked up when it fails.

    Args:
        max_abs_weight (float, optional): Weights with ``|w|`` above this
            count as exploded. Trained ConvNets keep their weights orders of
            magnitude below the default 1e6; ``None`` checks finiteness
            only. Defaults to 1e6.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, max_abs_weight: Optional[float] = 1e6) -> None:
        if max_abs_weight is not None and not max_abs_weight > 0:
            raise ValueError(
                f'max_abs_weight must be positive or None, got '
                f'{max_abs_weight!r}')
        self.max_abs_weight = max_abs_weight

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if not outputs or 'loss' not in outputs:
            return
        loss = outputs['loss']
        loss = float(loss.detach() if isinstance(loss, torch.Tensor) else loss)
        if math.isfinite(loss):
            return
        raise FloatingPointError(
            f'Loss became {loss} at iteration {runner.iter + 1} (epoch '
            f'{runner.epoch + 1}); training stopped. Last good checkpoint: '
            f'{_last_checkpoint(runner)}. {_ADVICE}')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        params = [(name, p.detach()) for name, p in model.named_parameters()]
        buffers = [(name, b) for name, b in model.named_buffers()
                   if b.is_floating_point()]
        if self._all_good(params, buffers):
            return
        what, peak = _first_bad(params, buffers)
        meta = checkpoint.get('meta', {})
        iteration = meta.get('iter', runner.iter)
        limit = ('' if self.max_abs_weight is None else
                 f' (limit max_abs_weight={self.max_abs_weight:g})')
        raise FloatingPointError(
            f'The weights diverged by iteration {iteration}: {what} has '
            f'max |w| = {peak:.4g}{limit}. '
            'Refused to save this checkpoint; training stopped. Last good '
            f'checkpoint: {_last_checkpoint(runner)}. {_ADVICE}')

    def _all_good(self, params: List[Tuple[str, torch.Tensor]],
                  buffers: List[Tuple[str, torch.Tensor]]) -> bool:
        """One fused max-|x| reduction per group, one host sync."""
        checks = []
        if params:
            peak = _max_abs(p for _, p in params)
            ok = torch.isfinite(peak)
            if self.max_abs_weight is not None:
                ok = ok & (peak <= self.max_abs_weight)
            checks.append(ok)
        if buffers:
            checks.append(torch.isfinite(_max_abs(b for _, b in buffers)))
        if not checks:
            return True
        return bool(torch.stack([c.cpu() for c in checks]).all())


_ADVICE = ('Lower the learning rate, add gradient clipping '
           '(optim_wrapper.clip_grad) or check the data, then resume with '
           '--resume.')


def _max_abs(tensors: Iterable[torch.Tensor]) -> torch.Tensor:
    """The largest ``|x|`` over all tensors (NaN if any holds a NaN)."""
    return torch.nn.utils.get_total_norm(
        list(tensors), norm_type=math.inf).float()


def _first_bad(params: List[Tuple[str, torch.Tensor]],
               buffers: List[Tuple[str, torch.Tensor]]) -> Tuple[str, float]:
    """``'parameter NAME'`` or ``'buffer NAME'`` of the first non-finite
    tensor, else of the parameter of largest magnitude, and its max
    ``|x|``."""
    peaks = [(f'{kind} {name}', float(t.abs().max()) if t.numel() else 0.)
             for kind, group in (('parameter', params), ('buffer', buffers))
             for name, t in group]
    for what, peak in peaks:
        if not math.isfinite(peak):
            return what, peak
    return max(peaks[:len(params)], key=lambda item: item[1])


def _last_checkpoint(runner) -> str:
    """The checkpoint ``last_checkpoint`` names, or a note that none was
    saved."""
    last = osp.join(runner.work_dir, 'last_checkpoint')
    if not osp.isfile(last):
        return 'none was saved yet'
    with open(last) as f:
        return f.read().strip() or 'none was saved yet'

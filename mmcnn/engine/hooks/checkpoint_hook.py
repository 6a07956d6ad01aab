"""mmengine's CheckpointHook without a moment where no checkpoint exists."""
import os.path as osp
from typing import Any, List

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook as MMEngineCheckpointHook

from mmcnn.registry import HOOKS
from mmcnn.utils.fileio import AtomicLocalBackend
from mmcnn.utils.resume import find_resume_checkpoint


class _DeferredRemoval:
    """A file backend that records ``remove``/``rmtree`` instead of running
    them; everything else goes to the wrapped backend."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.pending: List[str] = []

    def remove(self, path: str) -> None:
        self.pending.append(path)

    def rmtree(self, path: str) -> None:
        self.pending.append(path)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)


@HOOKS.register_module()
class CheckpointHook(MMEngineCheckpointHook):
    """mmengine's ``CheckpointHook`` in an order a kill cannot hurt.

    mmengine removes the checkpoint beyond ``max_keep_ckpts`` (and the
    previous best one) before writing the new one and writes
    ``last_checkpoint`` in place, so a kill at the wrong moment leaves no
    checkpoint, or an empty ``last_checkpoint``. Here the new checkpoint is
    written atomically first, then ``last_checkpoint`` atomically, and only
    then are the outdated checkpoints removed.

    With ``resume=True`` and no checkpoint given, a ``last_checkpoint`` that
    is empty or names a missing or unreadable file is replaced by the newest
    loadable checkpoint in the work dir (logged).
    """

    def before_run(self, runner) -> None:
        """Point an automatic resume at a checkpoint that loads."""
        super().before_run(runner)
        if getattr(runner, '_resume', False) and runner._load_from is None:
            path = find_resume_checkpoint(runner.work_dir,
                                          report=runner.logger.warning)
            if path is None:
                runner._resume = False
            else:
                runner._load_from = path

    def _save_checkpoint_with_step(self, runner, step: int,
                                   meta: dict) -> None:
        outdated = []
        if self.max_keep_ckpts > 0 and not (
                self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            # The new checkpoint still lists the outdated step: if a kill
            # comes before its removal, resuming removes it.
            runner.message_hub.update_info('keep_ckpt_ids',
                                           outdated + list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if outdated:
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))

        if not is_main_process():
            return
        AtomicLocalBackend().put_text(
            str(self.last_ckpt), osp.join(runner.work_dir, 'last_checkpoint'))
        for old_step in outdated:
            self._remove(self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(old_step)))

    def _save_best_checkpoint(self, runner, metrics: dict) -> None:
        """mmengine's best-checkpoint saving, removing the previous best one
        only after the new one is written."""
        backend = self.file_backend
        deferred = _DeferredRemoval(backend)
        self.file_backend = deferred
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            self.file_backend = backend
        current = {self.last_ckpt, getattr(self, 'best_ckpt_path', None),
                   *getattr(self, 'best_ckpt_path_dict', {}).values()}
        for path in deferred.pending:
            if path not in current:
                self._remove(path)

    def _remove(self, path: str) -> None:
        """Remove a checkpoint file (or a DeepSpeed checkpoint folder)."""
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):
            self.file_backend.rmtree(path)

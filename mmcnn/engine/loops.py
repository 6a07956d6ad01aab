"""An epoch-based training loop that resumes mid-epoch at the right sample."""
import logging
from typing import Iterator, Sized

import torch
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop as _MMEngineEpochLoop
from torch.utils.data import DataLoader, Sampler

from mmcnn.registry import LOOPS

# DataLoader settings carried over to the loader of a partial epoch (the
# sampler, batch size and drop_last live in the wrapped batch sampler).
_LOADER_SETTINGS = ('num_workers', 'collate_fn', 'pin_memory', 'timeout',
                    'worker_init_fn', 'multiprocessing_context', 'generator',
                    'prefetch_factor', 'persistent_workers',
                    'pin_memory_device', 'in_order')


class SkipBatches(Sampler):
    """Yield the batches of ``batch_sampler`` after the first ``skip``.

    The skipped batches' indices are drawn (so the sampler's order and
    state advance as in a full epoch) but no sample is loaded.
    """

    def __init__(self, batch_sampler: Sized, skip: int) -> None:
        self.batch_sampler = batch_sampler
        self.skip = skip

    def __iter__(self) -> Iterator:
        batches = iter(self.batch_sampler)
        for _ in range(self.skip):
            if next(batches, None) is None:
                return
        yield from batches

    def __len__(self) -> int:
        return max(len(self.batch_sampler) - self.skip, 0)


def loader_without_first_batches(loader: DataLoader, skip: int) -> DataLoader:
    """A DataLoader over ``loader``'s data set and settings that starts at
    batch ``skip`` of the epoch (its ``len`` counts the remaining
    batches)."""
    settings = {name: getattr(loader, name) for name in _LOADER_SETTINGS
                if hasattr(loader, name)}
    if loader.batch_sampler is None:
        return DataLoader(loader.dataset, batch_size=None,
                          sampler=SkipBatches(loader.sampler, skip),
                          **settings)
    return DataLoader(loader.dataset,
                      batch_sampler=SkipBatches(loader.batch_sampler, skip),
                      **settings)


@LOOPS.register_module()
class EpochBasedTrainLoop(_MMEngineEpochLoop):
    """mmengine's epoch-based loop, resuming exactly from a checkpoint saved
    in the middle of an epoch (``CheckpointHook(by_epoch=False)``).

    mmengine's loop restarts the interrupted epoch from its first batch, so
    a run resumed from ``iter_18.pth`` with 12 iterations per epoch trains
    batches 1-6 of epoch 2 twice and ends 6 iterations late. This loop
    skips the batches already trained (their indices are drawn, no data is
    loaded), numbers the remaining ones as in the uninterrupted run, and
    keeps torch's random state as the checkpoint saved it: the
    uninterrupted run had already created the epoch's data iterator (which
    draws a base seed) when it saved. With ``mmcnn.RNGStateHook``,
    ``num_workers=0`` and a sampler seeded by epoch (mmengine's
    ``DefaultSampler``), the resumed run then equals the uninterrupted one.
    """

    # Only the first epoch this loop runs can continue a resumed one.
    _ran_an_epoch = False

    def run_epoch(self) -> None:
        """Train one epoch, or its remainder after a mid-epoch resume."""
        first, self._ran_an_epoch = not self._ran_an_epoch, True
        done = self._iter - self._epoch * len(self.dataloader)
        if not first or done <= 0:
            super().run_epoch()
            return
        if done > len(self.dataloader):
            print_log(
                f'The checkpoint is at iteration {self._iter}, past the end '
                f'of epoch {self._epoch + 1} ({len(self.dataloader)} '
                'iterations per epoch with this data loader): the batch '
                'size, data set or number of processes changed since it was '
                'saved, so this epoch starts from its first batch.',
                logger='current', level=logging.WARNING)
            super().run_epoch()
            return
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        for idx, data_batch in enumerate(self._rest_of_epoch(done),
                                         start=done):
            self.run_iter(idx, data_batch)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1

    def _rest_of_epoch(self, done: int) -> Iterator:
        """An iterator over the batches after the first ``done`` of this
        epoch, created without changing any random state."""
        if done >= len(self.dataloader):
            return iter(())
        print_log(
            f'Resuming inside epoch {self._epoch + 1}: skipping its first '
            f'{done} of {len(self.dataloader)} batches (already trained).',
            logger='current')
        loader = loader_without_first_batches(self.dataloader, done)
        state = torch.get_rng_state()
        batches = iter(loader)
        torch.set_rng_state(state)
        return batches

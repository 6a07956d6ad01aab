"""Speed, memory and MACs of a model, for the benchmark tools.

:func:`time_interleaved` times candidates round by round in turn, so a
drift in the machine's speed affects them alike; :func:`peak_memory_mib`
measures the extra memory of one call; :func:`count_macs` counts in the
papers' convention. They run on the CPU and on CUDA devices alike.
:func:`report_table` prints a benchmark's Markdown table (and saves it).
"""
import ctypes
import gc
import re
import resource
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from .complexity import analyze

# ``--clock`` of the benchmark scripts: wall time, or the process's CPU
# time (with one thread on a shared machine it leaves out the time other
# processes held the core).
CLOCKS: Dict[str, Callable[[], float]] = {
    'wall': time.perf_counter,
    'cpu': time.process_time,
}


def synchronize(device: Optional[torch.device]) -> None:
    """Wait for queued kernels (CUDA); nothing to do on the CPU."""
    if device is not None and device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_interleaved(fns: Sequence[Callable[[], object]],
                     rounds: int,
                     iters: Union[int, Sequence[int]],
                     device: Optional[torch.device] = None,
                     clock: Callable[[], float] = time.perf_counter
                     ) -> List[List[float]]:
    """Mean seconds per call of each of ``fns`` in each of ``rounds``
    rounds; in every round each function runs its ``iters`` calls (one
    count for all, or one per function) in turn. Warm-up is the caller's.
    """
    counts = [iters] * len(fns) if isinstance(iters, int) else list(iters)
    results: List[List[float]] = [[] for _ in fns]
    for _ in range(rounds):
        for fn, count, seconds in zip(fns, counts, results):
            synchronize(device)
            start = clock()
            for _ in range(count):
                fn()
            synchronize(device)
            seconds.append((clock() - start) / count)
    return results


def _proc_status_kib(field: str) -> int:
    with open('/proc/self/status') as f:
        match = re.search(rf'^{field}:\s+(\d+) kB', f.read(), re.MULTILINE)
    if match is None:
        raise OSError(f'{field} missing from /proc/self/status')
    return int(match.group(1))


def _reset_peak_rss() -> bool:
    """Return freed heap memory to the OS and reset the peak RSS.

    Without ``malloc_trim`` the memory glibc keeps from earlier calls
    would absorb the next call's allocations and hide them. Linux only;
    returns False where the peak cannot be reset.
    """
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def peak_memory_mib(fn: Callable[[], object],
                    device: torch.device) -> Optional[float]:
    """Memory one call of ``fn`` needs at its peak beyond what was in use.

    CUDA: ``torch.cuda.max_memory_allocated`` over the call. CPU: the
    process's peak resident set (``VmHWM``, reset first) over its resident
    set before the call; where the peak cannot be reset, the growth of
    ``ru_maxrss``, which only shows memory beyond any earlier peak. Call
    it after a warm-up: a first call also allocates one-off caches.
    """
    gc.collect()
    if device.type == 'cuda':
        synchronize(device)
        before = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        fn()
        synchronize(device)
        peak = torch.cuda.max_memory_allocated(device)
        return (peak - before) / 2**20
    if _reset_peak_rss():
        try:
            before = _proc_status_kib('VmRSS')
            fn()
            return (_proc_status_kib('VmHWM') - before) / 1024
        except OSError:
            pass
    unit = 1 if sys.platform == 'darwin' else 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    fn()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (after - before) * unit / 2**20


def count_macs(model: nn.Module, inputs: Tuple[torch.Tensor, ...]) -> int:
    """Multiply-accumulates of ``model(*inputs)`` in the papers' convention
    (:func:`mmcnn.analysis.analyze`: convolution biases, norms and pooling
    included, elementwise arithmetic and activations not)."""
    return analyze(model, inputs).flops


def report_table(lines: Sequence[str], out: Optional[str] = None) -> None:
    """Print the Markdown ``lines`` after a blank line, and write them to
    ``out`` when given."""
    print('\n' + '\n'.join(lines))
    if out:
        with open(out, 'w') as f:
            f.write('\n'.join(lines) + '\n')

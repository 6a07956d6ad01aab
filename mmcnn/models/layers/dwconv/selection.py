"""Choosing a depth-wise algorithm: timed trials and their cache.

``'auto'`` picks, per key (device, dtype, kernel, dilation, stride,
padding, spatial size bucket, channels, batch bucket, input layout,
inference or training, whether mmcnn's compiled CPU kernels are in,
whether a GELU follows), the fastest applicable algorithm of
:mod:`.algorithms` by a quick timed trial on the first call with that key:
the minimum of up to :data:`TRIAL_RUNS` runs of each candidate on the real
input (forward only for inference, forward and backward when gradients are
needed); a candidate whose first run is four times slower than the best so
far is dropped early; on a CPU a run counts the smaller of its wall time
and its CPU time per thread, which discounts time other processes held the
cores.

**Bounding the trial cost.** Multi-scale training meets new input sizes
all the time, so a key does not hold the exact H and W but the bucket of
the map's area (four per octave: areas within 19 % share a choice; maps
narrower than 8 keep their exact size, where padding decides); and the
choices persist in a per-machine JSON file (one per CPU model, thread
count and torch version) under ``$MMCNN_DWCONV_CACHE`` (default
``~/.cache/mmcnn/dwconv``; ``off`` disables it), so a second run, another
rank or a resumed job times nothing it has seen before.

Like cuDNN's benchmark mode, a timed trial can pick differently from run
to run, and the algorithms differ in rounding: with
``torch.use_deterministic_algorithms(True)`` (what MMEngine's
``randomness=dict(deterministic=True)`` sets) there is no trial and no
cache, and the first candidate of a fixed, shape-based order runs, so that
two runs (or a run and its resumption) compute bit-identical results.
:func:`force_algorithm` overrides the choice (for tests and benchmarks).

On a 2-core AVX-512 CPU, inference mostly picks the channels-last kernels
(at 31x31 and 51x51 they run at the core's peak; ``'fft'`` is within
1.5x of them), training the FFT for kernels of 13 and more (3-35x faster
than oneDNN's backward pass, whose weight gradient is an im2col GEMM) and
often ``'channels_last_wgrad'`` for smaller ones (every 7x7 of ConvNeXt-T
and ConvFormer-S18, FocalNet-T's 5x5; oneDNN's kernel gradient of a 7x7
over 8x256x28x28: 12.0 ms, folded into one depth-wise convolution:
6.4 ms).
"""
import contextlib
import hashlib
import json
import math
import os
import os.path as osp
import time
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import torch

from mmcnn.ops import cpu_name, cpu_ops
from mmcnn.utils.fileio import atomic_write_bytes
from ..layout import is_channels_last
from .algorithms import ALGORITHMS, Pair, run_algorithm, supported_algorithms

TRIAL_RUNS = 3
EARLY_DROP = 4.
CACHE_ENV = 'MMCNN_DWCONV_CACHE'

_CHOICES: Dict[tuple, str] = {}
_TIMINGS: Dict[tuple, Dict[str, float]] = {}
_VARIANTS: Dict[tuple, str] = {}
_FORCED: List[Optional[str]] = [None]
_TRIAL_SECONDS = [0.]
_STORE: List['_ChoiceFile'] = []


def _candidates(x: torch.Tensor, weight: torch.Tensor, stride: Pair,
                padding: Pair, dilation: Pair, train: bool) -> List[str]:
    """Algorithms worth a trial on this device, likeliest winner first.

    On a CPU ``'direct'`` is tried last and only for NCHW inputs: oneDNN
    runs NCHW depth-wise convolutions through layout reorders (and an
    im2col GEMM for wide kernels), which can still beat converting a small
    map to channels-last and back; on a channels-last input it equals
    ``'channels_last'``. The padded kernel is tried from width 5 and for
    inference only (its larger weight gradient makes training slower),
    ``'compiled_wgrad'`` and ``'channels_last_wgrad'`` for training only
    (their forward is ``'channels_last'``), ``'compiled'`` for inference
    only, the FFT from 49 taps.
    """
    supported = supported_algorithms(x, weight, stride, padding, dilation)
    taps = weight.shape[-2] * weight.shape[-1]
    if x.device.type == 'cpu':
        names = ['channels_last']
        if weight.shape[-1] >= 5 and not train:
            names.append('channels_last_padded')
        if train:
            names += [name for name in ('compiled_wgrad',
                                        'channels_last_wgrad')
                      if name in supported]
        elif 'compiled' in supported:
            names.append('compiled')
        if not is_channels_last(x):
            names.append('direct')
    elif x.device.type == 'cuda':
        names = ['direct', 'channels_last']
    else:
        return ['direct']
    if 'fft' in supported and taps >= 49:
        names.insert(0 if taps >= 400 else len(names), 'fft')
    return names


def _batch_bucket(batch: int) -> int:
    return 1 << max(batch - 1, 0).bit_length()


def size_bucket(height: int, width: int) -> Tuple[int, ...]:
    """The spatial part of a choice key: ``(H, W)`` for maps narrower than
    8, else the area's bucket ``(ceil(4 log2(H W)), )`` (four per
    octave)."""
    if min(height, width) < 8:
        return height, width
    return (math.ceil(4 * math.log2(height * width) - 1e-9), )


def map_key(x: torch.Tensor) -> tuple:
    """What a choice key holds of an input map ``(N, C, H, W)``: device,
    dtype, channels, the area bucket of :func:`size_bucket`, the batch
    rounded up to a power of two, and whether it is channels-last."""
    n, c, h, w = x.shape
    return (x.device.type, x.device.index, x.dtype, c, size_bucket(h, w),
            _batch_bucket(n), is_channels_last(x))


def cache_file() -> Optional[str]:
    """This machine's choice file (``None`` when persistence is off).

    One file per CPU model, thread count and torch version, in
    ``$MMCNN_DWCONV_CACHE`` (default ``~/.cache/mmcnn/dwconv``).
    """
    folder = os.environ.get(CACHE_ENV, '')
    if folder.lower() in ('off', '0', 'none', 'false'):
        return None
    folder = folder or osp.join(osp.expanduser('~'), '.cache', 'mmcnn',
                                'dwconv')
    machine = f'{cpu_name()}|{torch.get_num_threads()}|{torch.__version__}'
    digest = hashlib.sha1(machine.encode()).hexdigest()[:12]
    return osp.join(folder, f'choices-{digest}.json')


def _key_text(key: tuple) -> str:
    return repr(tuple(str(k) if isinstance(k, torch.dtype) else k
                      for k in key))


class _ChoiceFile:
    """The machine's persisted choices, ``repr(key) -> algorithm``."""

    def __init__(self, path: Optional[str]) -> None:
        self.path = path
        self.entries = self.read() if path else {}

    def read(self) -> Dict[str, str]:
        """The file's entries; an unreadable or foreign file is empty."""
        try:
            with open(self.path) as f:
                entries = json.load(f)
        except (OSError, ValueError):
            return {}
        if not isinstance(entries, dict):
            return {}
        return {k: v for k, v in entries.items()
                if isinstance(k, str) and v in ALGORITHMS}

    def get(self, key: tuple) -> Optional[str]:
        return self.entries.get(_key_text(key))

    def add(self, key: tuple, choice: str) -> None:
        """Add a choice, merged with what other processes wrote since, in
        one atomic write (a failed write only loses persistence)."""
        if not self.path:
            return
        self.entries[_key_text(key)] = choice
        merged = {**self.read(), **self.entries}
        try:
            os.makedirs(osp.dirname(self.path), exist_ok=True)
            atomic_write_bytes(json.dumps(merged, indent=0).encode(),
                               self.path)
        except OSError:
            pass


def _choice_file() -> _ChoiceFile:
    """The choice file of the current settings (re-read when they
    change)."""
    path = cache_file()
    if not _STORE or _STORE[0].path != path:
        _STORE[:] = [_ChoiceFile(path)]
    return _STORE[0]


def _seconds(run: Callable[[], object], on_cpu: bool) -> float:
    """Seconds of one ``run()``: on a CPU the smaller of the wall time and
    the process's CPU time per thread, so that time the cores spent on
    other processes is not counted."""
    sync = (lambda: None) if on_cpu else torch.cuda.synchronize
    sync()
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    sync()
    wall = time.perf_counter() - wall
    cpu = (time.process_time() - cpu) / torch.get_num_threads()
    return min(wall, cpu) if on_cpu else wall


def _time_once(algorithm: str, x: torch.Tensor, weight: torch.Tensor,
               bias: Optional[torch.Tensor], stride: Pair, padding: Pair,
               dilation: Pair, train: bool, gelu: bool) -> float:
    """Seconds of one call (with its backward pass when ``train``)."""
    leaves = [t.detach().requires_grad_(t.requires_grad) if t is not None
              else None for t in (x, weight, bias)]
    wanted = [t for t in leaves if t is not None and t.requires_grad]

    def run() -> None:
        with torch.set_grad_enabled(train):
            out = run_algorithm(algorithm, *leaves, stride, padding,
                                dilation, gelu=gelu)
            if train:
                torch.autograd.grad(out, wanted, torch.ones_like(out))

    return _seconds(run, x.device.type == 'cpu')


def select_algorithm(x: torch.Tensor, weight: torch.Tensor,
                     bias: Optional[torch.Tensor], stride: Pair,
                     padding: Pair, dilation: Pair,
                     gelu: bool = False) -> str:
    """The cached fastest algorithm for this call (followed by a GELU when
    ``gelu``), timed on first use (in deterministic mode: the first
    candidate, untimed)."""
    train = torch.is_grad_enabled() and (
        x.requires_grad or weight.requires_grad
        or (bias is not None and bias.requires_grad))
    n, c, h, w = x.shape
    compiled = x.device.type == 'cpu' and cpu_ops() is not None
    key = (x.device.type, x.device.index, x.dtype,
           tuple(weight.shape[-2:]), dilation, stride, padding,
           size_bucket(h, w), c, _batch_bucket(n), is_channels_last(x),
           train, compiled, gelu)
    choice = _CHOICES.get(key)
    if choice is not None:
        return choice
    candidates = _candidates(x, weight, stride, padding, dilation, train)
    timed = not torch.are_deterministic_algorithms_enabled()
    if timed:
        choice = _choice_file().get(key)
        if choice in candidates:
            _CHOICES[key], _TIMINGS[key] = choice, {}
            return choice
    timings: Dict[str, float] = {}
    if len(candidates) > 1 and timed:
        start = time.perf_counter()
        for name in candidates:
            best = math.inf
            for run in range(TRIAL_RUNS):
                best = min(best, _time_once(name, x, weight, bias, stride,
                                            padding, dilation, train, gelu))
                fastest = min(timings.values(), default=math.inf)
                if run == 0 and best > EARLY_DROP * fastest:
                    break
            timings[name] = best
        _TRIAL_SECONDS[0] += time.perf_counter() - start
    choice = min(candidates, key=lambda name: timings.get(name, 0.))
    _CHOICES[key], _TIMINGS[key] = choice, timings
    if timings:
        _choice_file().add(key, choice)
    return choice


def algorithm_cache() -> Dict[tuple, Tuple[str, Dict[str, float]]]:
    """A copy of this process's choices: key -> (algorithm, trial seconds;
    empty when the choice came from the machine's file)."""
    return {k: (v, dict(_TIMINGS.get(k, {}))) for k, v in _CHOICES.items()}


def variant_choice(key: tuple) -> Optional[str]:
    """The variant :func:`select_variant` picked for ``key`` in this process,
    if it has timed one."""
    return _VARIANTS.get(key)


def select_variant(key: tuple,
                   variants: Dict[str, Callable[[], object]]) -> str:
    """The fastest of ``variants`` (callables computing the same result in
    different ways on the CPU, such as a fused kernel and its parts) for
    ``key``: the
    minimum of :data:`TRIAL_RUNS` runs each after one untimed run (a
    process's first call of a kernel pays one-time costs), timed once per
    process (not kept in the machine's file); in deterministic mode the
    first, untimed.
    """
    choice = _VARIANTS.get(key)
    if choice is None:
        choice = next(iter(variants))
        if not torch.are_deterministic_algorithms_enabled():
            start = time.perf_counter()
            for run in variants.values():
                run()
            timings = {name: min(_seconds(run, True)
                                 for _ in range(TRIAL_RUNS))
                       for name, run in variants.items()}
            _TRIAL_SECONDS[0] += time.perf_counter() - start
            choice = min(timings, key=timings.get)
        _VARIANTS[key] = choice
    return choice


def trial_seconds() -> float:
    """Wall seconds this process has spent in timed trials."""
    return _TRIAL_SECONDS[0]


def clear_algorithm_cache() -> None:
    """Forget every choice of this process (the machine's file stays; the
    next calls read it again, then time what it lacks)."""
    _CHOICES.clear()
    _TIMINGS.clear()
    _VARIANTS.clear()
    _STORE.clear()


def forced_algorithm() -> Optional[str]:
    """The algorithm :func:`force_algorithm` imposes now, if any."""
    return _FORCED[0]


@contextlib.contextmanager
def force_algorithm(algorithm: Optional[str]) -> Iterator[None]:
    """Run every :class:`DepthwiseConv2d` with ``algorithm`` inside the
    block (``None``: back to each layer's own setting).

    A layer the algorithm cannot compute (the FFT at stride 2, or for half
    precision) runs ``'direct'``.
    """
    if algorithm is not None and algorithm not in ALGORITHMS:
        raise ValueError(f'Unknown depth-wise algorithm {algorithm!r}; '
                         f'choose one of {ALGORITHMS}.')
    before = _FORCED[0]
    _FORCED[0] = algorithm
    try:
        yield
    finally:
        _FORCED[0] = before

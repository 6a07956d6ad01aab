"""Building models by name and measuring them, for the analysis tools.

A backbone name is ``FAMILY-ARCH`` (``moganet-tiny``, ``MogaNet-XT``): the
family is a registered mmcnn backbone class (case-insensitive, resolved by
:mod:`mmcnn.analysis`) and the arch one of its ``arch_zoo`` names. Config
files build any OpenMMLab model. The measuring helpers run on the CPU and
on CUDA devices alike.
"""
import ctypes
import gc
import re
import resource
import sys
import time
from typing import Callable, List, Optional, Tuple

import torch
from mmengine.config import Config
from torch import nn

from mmcnn.analysis import analyze, build_task_model, resolve_backbone
from mmcnn.models.backbones.base import ConvNetBackbone


def build_backbone(name: str, **kwargs) -> nn.Module:
    """Build the backbone named ``FAMILY-ARCH`` with extra ``kwargs``.

    Raises:
        ValueError: unknown family (lists the registered ones).
        KeyError: unknown arch of the family (lists its arch names).
    """
    cls, arch = resolve_backbone(name)
    cls.resolve_arch(arch)
    return cls(arch=arch.lower(), **kwargs)


def build_from_config(path: str) -> nn.Module:
    """``model`` of an mmengine config, built in its default scope in eval
    mode, without pretrained weights and with SyncBN reverted to BN."""
    return build_task_model(Config.fromfile(path))


def switch_to_deploy(model: nn.Module) -> int:
    """Re-parameterise every mmcnn backbone in ``model`` (or ``model``).

    Returns:
        The number of backbones switched.

    Raises:
        ValueError: ``model`` holds no mmcnn backbone.
    """

    def visit(module: nn.Module) -> int:
        if isinstance(module, ConvNetBackbone):
            module.switch_to_deploy()
            return 1
        return sum(visit(child) for child in module.children())

    switched = visit(model)
    if not switched:
        raise ValueError(f'{type(model).__name__} holds no mmcnn backbone '
                         'to re-parameterise.')
    return switched


def synchronize(device: torch.device) -> None:
    """Wait for queued kernels (CUDA); nothing to do on the CPU."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_rounds(fn: Callable[[], object], device: torch.device,
                rounds: int, iters: int) -> List[float]:
    """Mean seconds per call of ``fn`` in each of ``rounds`` rounds."""
    results = []
    for _ in range(rounds):
        synchronize(device)
        start = time.perf_counter()
        for _ in range(iters):
            fn()
        synchronize(device)
        results.append((time.perf_counter() - start) / iters)
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

"""mmcnn's compiled CPU kernels (C++/OpenMP), with PyTorch fallbacks.

The kernels in ``csrc/`` are compiled for the machine at hand
(``-O3 -march=native -fopenmp``) by ``make env`` (``python -m
mmcnn.ops.build``) into the virtual environment, next to the torch they
were built against, and registered as ``torch.ops.mmcnn_cpu.*``. Nothing
is compiled at run time: :func:`cpu_ops` loads the library only if it was
built from the current sources for this CPU and torch, and returns
``None`` otherwise (or when ``MMCNN_CPU_EXT=0``), in which case every
caller runs its pure-PyTorch path, slower but computing the same.
"""
import hashlib
import logging
import os
import os.path as osp
import platform
import sys
from typing import Any, List, Optional, Tuple

import torch
from mmengine.logging import print_log

DISABLE_ENV = 'MMCNN_CPU_EXT'
"""``MMCNN_CPU_EXT=0`` turns the compiled kernels off (PyTorch paths)."""
NAME = 'mmcnn_cpu_ops'
SOURCE_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'csrc')
CFLAGS = ('-O3', '-march=native', '-fopenmp')
LDFLAGS = ('-fopenmp', )

_LOADED: List[Optional[Any]] = []


def sources(suffixes: Tuple[str, ...] = ('.cpp', )) -> List[str]:
    """The library's files with these suffixes (the compiled ones by
    default), sorted."""
    return sorted(osp.join(SOURCE_DIR, f) for f in os.listdir(SOURCE_DIR)
                  if f.endswith(suffixes))


def cpu_name() -> str:
    """The CPU model (``/proc/cpuinfo``'s model name where there is one):
    what a kernel compiled with ``-march=native`` or a timed choice holds
    for."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def fingerprint() -> str:
    """What a build is valid for: the sources, flags, torch and CPU."""
    digest = hashlib.sha256()
    for path in sources(('.cpp', '.h')):
        with open(path, 'rb') as f:
            digest.update(f.read())
    for part in (*CFLAGS, *LDFLAGS, torch.__version__, platform.machine(),
                 cpu_name()):
        digest.update(part.encode())
    return digest.hexdigest()


def build_dir() -> str:
    """Where ``make env`` puts the library: inside the environment."""
    return osp.join(sys.prefix, 'mmcnn-ext', f'torch-{torch.__version__}')


def library_path() -> str:
    return osp.join(build_dir(), f'{NAME}.so')


def stamp_path() -> str:
    return osp.join(build_dir(), 'fingerprint')


def _load() -> Optional[Any]:
    try:
        with open(stamp_path()) as f:
            built_for = f.read().strip()
    except OSError:
        built_for = None
    if built_for != fingerprint() or not osp.exists(library_path()):
        print_log(
            'mmcnn: the compiled CPU kernels are not built for these sources, '
            'this torch and this CPU; running the PyTorch paths (slower). '
            'Build them with `python -m mmcnn.ops.build` (make env does).',
            logger='current', level=logging.INFO)
        return None
    torch.ops.load_library(library_path())
    return torch.ops.mmcnn_cpu


def cpu_ops() -> Optional[Any]:
    """``torch.ops.mmcnn_cpu`` when the compiled kernels can run, else
    ``None``; ``MMCNN_CPU_EXT`` is read on every call, the library loaded
    once."""
    if os.environ.get(DISABLE_ENV, '1') == '0':
        return None
    if not _LOADED:
        _LOADED.append(_load())
    return _LOADED[0]

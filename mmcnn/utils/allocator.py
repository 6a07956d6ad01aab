"""Keep freed memory inside the process (glibc's allocator).

By default glibc serves every block above 128 KiB-32 MiB with a fresh
``mmap`` and gives freed memory at the top of the heap back to the system.
A network's feature maps are exactly such blocks, so every forward pass
faults in new zeroed pages for most of its outputs. On a 2-core VM this
cost as much as the arithmetic: official MogaNet-T ran at 20-21 img/s
(batch 8, 2 threads) by default and at 28-29 img/s with the settings
below, timm's ConvNeXt-T at 16.2-16.4 and 17.7-18.3 (``benchmarks/
RESULTS.md``). The price is that the process keeps its peak heap.
"""
import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3

# Largest mmap threshold glibc accepts on 64-bit systems, largest int for
# the trim threshold (never trim), heap grown in 256 MiB steps.
ALLOCATOR_SETTINGS = ((M_MMAP_THRESHOLD, 32 << 20),
                      (M_TRIM_THRESHOLD, (1 << 31) - 1),
                      (M_TOP_PAD, 256 << 20))


def keep_freed_memory() -> bool:
    """Tell glibc to reuse freed feature maps instead of returning them to
    the system (``mallopt``); returns whether every setting took effect
    (False on other C libraries and platforms, where nothing changes)."""
    if not sys.platform.startswith('linux'):
        return False
    name = ctypes.util.find_library('c')
    if name is None:
        return False
    libc = ctypes.CDLL(name)
    if not hasattr(libc, 'mallopt') or not hasattr(libc,
                                                   'gnu_get_libc_version'):
        return False
    return all(libc.mallopt(param, value) == 1
               for param, value in ALLOCATOR_SETTINGS)

"""InternImage inference on the CPU: mmcnn's DCNv3 against the reference.

    .venv/bin/python benchmarks/bench_dcnv3.py [--arch t] [--shape 224] \\
        [--batch-sizes 1 8] [--threads 2] [--rounds 5] [--iters 3] \\
        [--clock wall|cpu]

Runs the backbone with mmcnn's DCNv3 sampling (weighted row gathers,
``F.embedding_bag``) and with the straightforward formulation of the
official ``dcnv3_core_pytorch`` (one ``grid_sample`` over all groups and
points, then a mask-weighted sum; ``reference_dcnv3`` of
tests/test_dcnv3.py), interleaved round by round in one process, and
prints a Markdown table of milliseconds per image (median and best round)
for the whole backbone and for the sampling op alone at the shapes of
each stage. The two agree to float precision (tests/test_dcnv3.py).
"""
import argparse
import os.path as osp
import statistics
import sys
from typing import Callable, Dict, List, Optional, Sequence
from unittest import mock

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tests'))

from mmcnn.analysis import CLOCKS, time_interleaved  # noqa: E402
from mmcnn.models import InternImage  # noqa: E402
from mmcnn.models.layers import dcnv3_core  # noqa: E402
from test_dcnv3 import reference_dcnv3  # noqa: E402

CORE = 'mmcnn.models.layers.dcnv3.dcnv3_core'


def reference_op(x: torch.Tensor, offset: torch.Tensor, mask: torch.Tensor,
                 groups: int, kernel_size: int = 3, stride: int = 1,
                 padding: int = 1, dilation: int = 1,
                 offset_scale: float = 1.) -> torch.Tensor:
    """:func:`mmcnn.models.layers.dcnv3_core`'s signature, the reference."""
    return reference_dcnv3(x, offset, mask, groups, kernel_size, stride,
                           padding, dilation, offset_scale)


def interleaved(fns: Dict[str, Callable[[], object]], rounds: int,
                iters: int, images: int,
                clock: Callable[[], float]) -> Dict[str, List[float]]:
    """Milliseconds per image of every round, the candidates alternating."""
    for fn in fns.values():
        fn()
    timings = time_interleaved(list(fns.values()), rounds, iters,
                               clock=clock)
    return {name: [1e3 * t / images for t in seconds]
            for name, seconds in zip(fns, timings)}


def network_case(arch: str, shape: int, batch: int, rounds: int,
                 iters: int, clock: Callable[[], float]
                 ) -> Dict[str, List[float]]:
    model = InternImage(arch=arch).eval()
    x = torch.randn(batch, 3, shape, shape)

    def run(op):
        def call():
            with torch.no_grad(), mock.patch(CORE, op):
                model(x)
        return call

    return interleaved({'mmcnn': run(dcnv3_core),
                        'reference': run(reference_op)}, rounds, iters,
                       batch, clock)


def op_case(size: int, channels: int, groups: int, batch: int, rounds: int,
            iters: int, clock: Callable[[], float]
            ) -> Dict[str, List[float]]:
    x = torch.randn(batch, size, size, channels)
    offset = 2 * torch.randn(batch, size, size, groups * 18)
    mask = torch.randn(batch, size, size, groups, 9).softmax(-1).flatten(3)

    def run(op):
        def call():
            with torch.no_grad():
                op(x, offset, mask, groups)
        return call

    return interleaved({'mmcnn': run(dcnv3_core),
                        'reference': run(reference_op)}, rounds, iters,
                       batch, clock)


def row(label: str, result: Dict[str, List[float]]) -> str:
    ours, ref = result['mmcnn'], result['reference']
    speedup = statistics.median(ref) / statistics.median(ours)
    return (f'| {label} | {statistics.median(ours):.1f} ({min(ours):.1f}) | '
            f'{statistics.median(ref):.1f} ({min(ref):.1f}) | '
            f'{speedup:.2f}x |')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--arch', default='t', help='InternImage arch')
    parser.add_argument('--shape', type=int, default=224)
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 8])
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument(
        '--clock', choices=tuple(CLOCKS), default='wall',
        help='wall-clock time, or the CPU time of this process (with '
        '--threads 1, the work done, unaffected by other processes '
        'sharing the cores)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> List[str]:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    clock = CLOCKS[args.clock]
    settings = InternImage.arch_zoo[args.arch]
    lines = [
        f'InternImage-{args.arch.upper()} at {args.shape}x{args.shape}, '
        f'CPU, {args.threads} threads, torch {torch.__version__}; '
        f'{args.clock} ms/img, median (best) of {args.rounds} rounds x '
        f'{args.iters} iters', '',
        '| case | mmcnn DCNv3 | reference grid_sample | speed-up |',
        '|---|---|---|---|']
    for batch in args.batch_sizes:
        lines.append(row(f'backbone, batch {batch}', network_case(
            args.arch, args.shape, batch, args.rounds, args.iters, clock)))
        print(lines[-1], flush=True)
        for i, (width, groups) in enumerate(zip(settings['embed_dims'],
                                                settings['groups'])):
            size = args.shape // 2**(i + 2)
            lines.append(row(
                f'op only, stage {i + 1} ({size}x{size}x{width}, '
                f'G={groups}), batch {batch}',
                op_case(size, width, groups, batch, args.rounds,
                        args.iters, clock)))
            print(lines[-1], flush=True)
    print('\n'.join(lines))
    return lines


if __name__ == '__main__':
    main()

"""InternImage on the CPU: mmcnn's DCNv3 against the reference.

    .venv/bin/python benchmarks/bench_dcnv3.py [--arch t] [--shape 224] \\
        [--batch-sizes 1 8] [--threads 2] [--rounds 5] [--iters 3] \\
        [--train] [--clock wall|cpu]

Runs the backbone, and the sampling op alone at the shapes of each stage,
with three DCNv3 implementations interleaved round by round in one
process: mmcnn's compiled kernel (:mod:`mmcnn.ops`, when built), mmcnn's
PyTorch path (weighted row gathers, ``F.embedding_bag``;
``MMCNN_CPU_EXT=0``) and the straightforward formulation of the official
``dcnv3_core_pytorch`` (one ``grid_sample`` over all groups and points,
then a mask-weighted sum; ``reference_dcnv3`` of tests/test_dcnv3.py).
Prints a Markdown table of milliseconds per image (median and best round)
and the speed-ups over the reference. ``--train`` times forward and
backward (gradients of the input, offsets and masks; of the weights for
the backbone) instead of inference. All three agree to float precision
(tests/test_dcnv3.py).
"""
import argparse
import contextlib
import os
import os.path as osp
import statistics
import sys
from typing import Callable, Dict, Iterator, List, Optional, Sequence
from unittest import mock

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tests'))

from mmcnn.analysis import CLOCKS, time_interleaved  # noqa: E402
from mmcnn.models import InternImage  # noqa: E402
from mmcnn.models.layers import dcnv3_core  # noqa: E402
from mmcnn.ops import DISABLE_ENV, cpu_ops  # noqa: E402
from test_dcnv3 import reference_dcnv3  # noqa: E402

CORE = 'mmcnn.models.layers.dcnv3.dcnv3_core'
DCNV3_FORCED = 'mmcnn.models.layers.dcnv3.forced_algorithm'


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


@contextlib.contextmanager
def compiled_kernels(enabled: bool) -> Iterator[None]:
    """Run with mmcnn's compiled kernels on or off; on, DCNv3 runs its
    kernel without the timed choice against the gather path (the
    depth-wise convs keep theirs)."""
    before = os.environ.get(DISABLE_ENV)
    os.environ[DISABLE_ENV] = '1' if enabled else '0'
    try:
        with mock.patch(DCNV3_FORCED,
                        lambda: 'compiled' if enabled else None):
            yield
    finally:
        if before is None:
            del os.environ[DISABLE_ENV]
        else:
            os.environ[DISABLE_ENV] = before


def candidates(run: Callable[[Callable, bool], Callable[[], object]]
               ) -> Dict[str, Callable[[], object]]:
    """The implementations to time, each as ``run(op, compiled)``."""
    fns = {'pytorch': run(dcnv3_core, False),
           'reference': run(reference_op, False)}
    if cpu_ops() is not None:
        fns['compiled'] = run(dcnv3_core, True)
    return fns


def network_case(arch: str, shape: int, batch: int, rounds: int,
                 iters: int, train: bool, clock: Callable[[], float]
                 ) -> Dict[str, List[float]]:
    model = InternImage(arch=arch).train(train)
    x = torch.randn(batch, 3, shape, shape)

    def run(op: Callable, compiled: bool) -> Callable[[], object]:
        def call():
            with compiled_kernels(compiled), mock.patch(CORE, op), \
                    torch.set_grad_enabled(train):
                outs = model(x)
                if train:
                    sum(o.sum() for o in outs).backward()
        return call

    return interleaved(candidates(run), rounds, iters, batch, clock)


def op_case(size: int, channels: int, groups: int, batch: int, rounds: int,
            iters: int, train: bool, clock: Callable[[], float]
            ) -> Dict[str, List[float]]:
    x = torch.randn(batch, size, size, channels, requires_grad=train)
    offset = (2 * torch.randn(batch, size, size, groups * 18)
              ).requires_grad_(train)
    mask = torch.randn(batch, size, size, groups, 9).softmax(-1).flatten(3)
    mask.requires_grad_(train)
    grad = torch.randn(batch, size, size, channels)

    def run(op: Callable, compiled: bool) -> Callable[[], object]:
        def call():
            with compiled_kernels(compiled), torch.set_grad_enabled(train):
                out = op(x, offset, mask, groups)
                if train:
                    torch.autograd.grad(out, (x, offset, mask), grad)
        return call

    return interleaved(candidates(run), rounds, iters, batch, clock)


def row(label: str, result: Dict[str, List[float]]) -> str:
    cells = [f'{statistics.median(result[name]):.2f} '
             f'({min(result[name]):.2f})' for name in COLUMNS
             if name in result]
    ref = statistics.median(result['reference'])
    speedups = [f'{ref / statistics.median(result[name]):.2f}x'
                for name in ('compiled', 'pytorch') if name in result]
    return f'| {label} | ' + ' | '.join(cells + speedups) + ' |'


COLUMNS = ('compiled', 'pytorch', 'reference')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--arch', default='t', help='InternImage arch')
    parser.add_argument('--shape', type=int, default=224)
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 8])
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--train', action='store_true',
                        help='time forward and backward')
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
    compiled = cpu_ops() is not None
    names = (['compiled kernel'] if compiled else []) + [
        'PyTorch path', 'reference grid_sample']
    ratios = (['compiled / ref'] if compiled else []) + ['PyTorch / ref']
    lines = [
        f'InternImage-{args.arch.upper()} at {args.shape}x{args.shape}, '
        f'CPU, {args.threads} threads, torch {torch.__version__}, '
        f'{"training (forward + backward)" if args.train else "inference"}; '
        f'{args.clock} ms/img, median (best) of {args.rounds} rounds x '
        f'{args.iters} iters; speed-up = reference time / time'
        + ('' if compiled else ' (compiled kernels not built)'), '',
        '| case | ' + ' | '.join(names + ratios) + ' |',
        '|---' * (1 + len(names) + len(ratios)) + '|']
    for batch in args.batch_sizes:
        lines.append(row(f'backbone, batch {batch}', network_case(
            args.arch, args.shape, batch, args.rounds, args.iters,
            args.train, clock)))
        print(lines[-1], flush=True)
        for i, (width, groups) in enumerate(zip(settings['embed_dims'],
                                                settings['groups'])):
            size = args.shape // 2**(i + 2)
            lines.append(row(
                f'op only, stage {i + 1} ({size}x{size}x{width}, '
                f'G={groups}), batch {batch}',
                op_case(size, width, groups, batch, args.rounds,
                        args.iters, args.train, clock)))
            print(lines[-1], flush=True)
    print('\n'.join(lines))
    return lines


if __name__ == '__main__':
    main()

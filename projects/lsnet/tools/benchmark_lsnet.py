"""Times LSNet on the CPU: each backbone (training and deploy form, batch 1
and 8, 224x224) and the SKA operator against its unfold reference
(forward, and forward + backward), interleaved round by round with
:func:`mmcnn.analysis.benchmark.time_interleaved`; prints the median and the
minimum of the rounds in milliseconds.

    .venv/bin/python projects/lsnet/tools/benchmark_lsnet.py --threads 2
"""
import argparse
import statistics
import sys
from pathlib import Path
from typing import Callable, List, Sequence

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from mmcnn.analysis.benchmark import time_interleaved  # noqa: E402
from projects.lsnet.lsnet import LSNet, ska, ska_reference  # noqa: E402


def medians_ms(fns: Sequence[Callable[[], object]], rounds: int,
               iters: int) -> List[str]:
    """``'median (min)'`` milliseconds per call of each of ``fns`` over
    the rounds, after one warm-up call each (the minimum is the figure
    least disturbed by other jobs on a shared machine)."""
    for fn in fns:
        fn()
    times = time_interleaved(fns, rounds, iters)
    return [f'{statistics.median(t) * 1e3:.1f} ({min(t) * 1e3:.1f})'
            for t in times]


def backward(op: Callable, x: torch.Tensor, w: torch.Tensor) -> Callable:
    """A call of ``op`` with a backward pass to both inputs."""
    def run():
        op(x, w).sum().backward()
    return run


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--iters', type=int, default=2)
    parser.add_argument('--archs', nargs='+', default=['t', 's', 'b'])
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f'threads={args.threads} rounds={args.rounds} iters={args.iters}')
    with torch.no_grad():
        for arch in args.archs:
            train = LSNet(arch=arch).eval()
            deploy = LSNet(arch=arch, deploy=True).eval()
            for batch in (1, 8):
                x = torch.randn(batch, 3, 224, 224)
                ms = medians_ms([lambda: train(x), lambda: deploy(x)],
                                args.rounds, args.iters)
                print(f'LSNet-{arch.upper()} batch {batch}: {ms[0]} ms, '
                      f'deploy {ms[1]} ms')
    # SKA at LSNet-T's stage inputs for a 224 image, batch 8
    for c, side in ((128, 14), (256, 7)):
        x = torch.randn(8, c, side, side, requires_grad=True)
        w = torch.randn(8, c // 8, 9, side, side, requires_grad=True)
        with torch.no_grad():
            fwd = medians_ms([lambda: ska(x, w), lambda: ska_reference(x, w)],
                             args.rounds, args.iters * 5)
        bwd = medians_ms([backward(ska, x, w), backward(ska_reference, x, w)],
                         args.rounds, args.iters * 5)
        print(f'SKA (8, {c}, {side}, {side}): forward {fwd[0]} ms vs '
              f'unfold {fwd[1]} ms; forward+backward {bwd[0]} ms vs '
              f'unfold {bwd[1]} ms')


if __name__ == '__main__':
    main()

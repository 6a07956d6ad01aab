"""MogaNet's channel-aggregation FFN (deploy form, channels-last, inference)
four ways: as the model runs it (``conv_act_project`` with ``fc``: fc1 in
the compiled kernel or apart, whichever its timed trial picked), fc1 and
the decompose conv both in the compiled depth-wise kernel (forced; fc1's
output never stored), fc1 apart and only the decompose conv fused, and
the depth-wise conv followed by the separate 1x1 conv; rounds interleaved
in one process, median ms per call. ``--models`` times whole backbones
(deploy form, channels-last, 224x224) with each FFN path instead;
``--inductor`` adds ``torch.compile`` of the module (inductor's C++/OpenMP
kernels for the plain ops, compiled before timing).

Example::

    .venv/bin/python benchmarks/bench_moganet_ffn.py --threads 2 --rounds 7
    .venv/bin/python benchmarks/bench_moganet_ffn.py --inductor
    .venv/bin/python benchmarks/bench_moganet_ffn.py --models tiny small \
        --batch 8
"""
import argparse
import statistics
import time
from typing import Tuple

import torch

import mmcnn.models.backbones.moganet as moganet
from mmcnn.models.layers import (activate_, conv_act, conv_act_project,
                                 force_algorithm)

# (N, C, hidden, size): MogaNet-T's four stages at 224x224, stage 1 at N=1.
SHAPES = ((8, 32, 256, 56), (8, 64, 512, 28), (8, 128, 512, 14),
          (8, 256, 1024, 7), (1, 32, 256, 56))


def fc1_inside(conv, x, act, drop, proj, proj_act, fc
               ) -> Tuple[torch.Tensor, torch.Tensor]:
    """fc1 and the decompose conv in the compiled kernel, untimed."""
    with force_algorithm('compiled'):
        return conv_act_project(conv, x, act, drop, proj, proj_act, fc)


def decompose_fused(conv, x, act, drop, proj, proj_act, fc
                    ) -> Tuple[torch.Tensor, torch.Tensor]:
    """fc1 apart, then the kernel with the decompose conv fused."""
    return conv_act_project(conv, fc(x), act, drop, proj, proj_act)


def unfused(conv, x, act, drop, proj, proj_act, fc
            ) -> Tuple[torch.Tensor, torch.Tensor]:
    """The FFN's path before any fusion: fc1, conv + GELU, then the 1x1
    conv."""
    hidden = drop(conv_act(conv, fc(x), act))
    return hidden, activate_(proj_act, proj(hidden))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=7)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--models', nargs='+', metavar='ARCH',
                        help='time these MogaNet backbones instead')
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--inductor', action='store_true',
                        help='also time torch.compile of the module')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    paths = {'timed choice': moganet.conv_act_project,
             'fc1 inside': fc1_inside, 'fc1 apart': decompose_fused,
             'unfused': unfused}
    if args.models:
        cases = [(f'MogaNet-{arch} batch {args.batch}',
                  moganet.MogaNet(arch=arch, out_indices=(0, 1, 2, 3)),
                  (args.batch, 3, 224, 224)) for arch in args.models]
    else:
        cases = [(f'{n}x{dims}->{hidden} at {size}x{size}',
                  moganet.ChannelAggregationFFN(dims, hidden),
                  (n, dims, size, size))
                 for n, dims, hidden, size in SHAPES]
    for label, model, shape in cases:
        model.eval().switch_to_deploy()
        x = torch.randn(shape).contiguous(memory_format=torch.channels_last)
        if args.models:
            model.to(memory_format=torch.channels_last)
        runs = {name: (fn, model) for name, fn in paths.items()}
        if args.inductor:
            runs['inductor'] = (paths['timed choice'], torch.compile(model))
        times = {name: [] for name in runs}
        with torch.no_grad():
            for _ in range(args.rounds):
                for name, (fn, run) in runs.items():
                    moganet.conv_act_project = fn
                    run(x)
                    start = time.perf_counter()
                    for _ in range(args.iters):
                        run(x)
                    times[name].append(
                        (time.perf_counter() - start) / args.iters * 1e3)
        moganet.conv_act_project = paths['timed choice']
        ms = {name: statistics.median(t) for name, t in times.items()}
        best = ms['timed choice']
        print(f'{label}: ' + ', '.join(
            f'{name} {t:.2f} ms ({t / best:.2f}x)' for name, t in ms.items()))


if __name__ == '__main__':
    main()

"""MogaNet's channel-aggregation FFN (deploy form, channels-last, inference)
with the decompose conv fused into the compiled depth-wise kernel
(``conv_act_project``) against the same kernel followed by the separate 1x1
conv; rounds interleaved in one process, median ms per call.

Example::

    .venv/bin/python benchmarks/bench_moganet_ffn.py --threads 2 --rounds 7
"""
import argparse
import statistics
import time
from typing import Tuple

import torch

import mmcnn.models.backbones.moganet as moganet
from mmcnn.models.layers import activate_, conv_act

SHAPES = ((8, 32, 256, 56), (8, 64, 512, 28), (1, 32, 256, 56))


def unfused(conv, x, act, drop, proj, proj_act
            ) -> Tuple[torch.Tensor, torch.Tensor]:
    """The FFN's path before the fusion: conv + GELU, then the 1x1 conv."""
    hidden = drop(conv_act(conv, x, act))
    return hidden, activate_(proj_act, proj(hidden))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=7)
    parser.add_argument('--iters', type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    fused = moganet.conv_act_project
    for n, dims, hidden, size in SHAPES:
        ffn = moganet.ChannelAggregationFFN(dims, hidden).eval()
        ffn.switch_to_deploy()
        x = torch.randn(n, dims, size, size).contiguous(
            memory_format=torch.channels_last)
        times = {'fused': [], 'unfused': []}
        with torch.no_grad():
            for _ in range(args.rounds):
                for name, fn in (('fused', fused), ('unfused', unfused)):
                    moganet.conv_act_project = fn
                    ffn(x)
                    start = time.perf_counter()
                    for _ in range(args.iters):
                        ffn(x)
                    times[name].append(
                        (time.perf_counter() - start) / args.iters * 1e3)
        moganet.conv_act_project = fused
        f, u = (statistics.median(times[k]) for k in ('fused', 'unfused'))
        print(f'{n}x{dims}->{hidden} at {size}x{size}: fused {f:.2f} ms, '
              f'unfused {u:.2f} ms, {u / f:.2f}x')


if __name__ == '__main__':
    main()

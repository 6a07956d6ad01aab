"""Time :func:`projects.overlock.overlock.na2d_av` against the unfold-style
reference of the tests (forward, and forward + backward), and the
backbone, with mmcnn's interleaved timer.

    PYTHONPATH=. .venv/bin/python projects/overlock/tools/benchmark_na2d.py \
        --threads 2
"""
import argparse
import statistics
import time

import torch

from mmcnn.analysis.benchmark import time_interleaved
from projects.overlock.overlock import OverLoCK, na2d_av
from projects.overlock.tests._official import reference_na2d_av

# (batch, heads, H, W, channels per head, K): OverLoCK-XT/T's large-kernel
# ContMix half at 224 (stride 16) and a Mask R-CNN-sized map (800x1216).
OP_SHAPES = [(1, 8, 14, 14, 16, 13), (8, 8, 14, 14, 16, 13),
             (1, 8, 50, 76, 16, 13)]


def _median_ms(times):
    return 1e3 * statistics.median(times)


def bench_op(rounds: int, iters: int) -> None:
    print('| shape (B, G, H, W, C, K) | pass | ours ms | reference ms | '
          'speed-up |')
    print('|---|---|---|---|---|')
    for b, g, h, w, c, k in OP_SHAPES:
        attn = torch.randn(b, g, h, w, k * k).softmax(-1)
        value = torch.randn(b, g, h, w, c)
        for backward in (False, True):
            a = attn.clone().requires_grad_(backward)
            v = value.clone().requires_grad_(backward)

            def run(fn):
                def call():
                    out = fn(a, v, k)
                    if backward:
                        out.sum().backward()
                return call

            fns = [run(na2d_av), run(reference_na2d_av)]
            with torch.set_grad_enabled(backward):
                for fn in fns:
                    fn()
                ours, ref = time_interleaved(fns, rounds, iters)
            print(f'| {(b, g, h, w, c, k)} | '
                  f'{"fwd+bwd" if backward else "fwd"} | '
                  f'{_median_ms(ours):.2f} | {_median_ms(ref):.2f} | '
                  f'{_median_ms(ref) / _median_ms(ours):.1f}x |')


def bench_backbone(arch: str, rounds: int, iters: int) -> None:
    print('| backbone | batch | training form ms | deploy form ms |')
    print('|---|---|---|---|')
    train = OverLoCK(arch, classifier_form=True).eval()
    deploy = OverLoCK(arch, classifier_form=True, deploy=True).eval()
    for batch in (1, 8):
        x = torch.randn(batch, 3, 224, 224)
        fns = [lambda: train(x), lambda: deploy(x)]
        with torch.inference_mode():
            for fn in fns:
                fn()
            a, b = time_interleaved(fns, rounds, iters)
        print(f'| {arch} | {batch} | {_median_ms(a):.0f} | '
              f'{_median_ms(b):.0f} |')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--arch', default='xt')
    parser.add_argument('--skip-backbone', action='store_true')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f'torch {torch.__version__}, {args.threads} threads, '
          f'{time.strftime("%Y-%m-%d %H:%M")}')
    bench_op(args.rounds, args.iters)
    if not args.skip_backbone:
        bench_backbone(args.arch, args.rounds, args.iters)


if __name__ == '__main__':
    main()

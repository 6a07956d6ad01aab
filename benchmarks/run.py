"""The benchmark suite: each backbone's training form against its deploy
form, with channels_last off and on, at several batch sizes.

    .venv/bin/python benchmarks/run.py [--models moganet-tiny ...] \\
        [--batch-sizes 1 8] [--shape 224] [--out results.md]

Every (model, batch size, memory format) cell runs the two forms
interleaved in one process through tools/analysis_tools/benchmark.py and
reports the deploy/training throughput ratio. See benchmarks/README.md.
"""
import argparse
import os.path as osp
import platform
import sys
from typing import List, Optional, Sequence

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmcnn.analysis import report_table  # noqa: E402
from tools.analysis_tools import benchmark  # noqa: E402

DEFAULT_MODELS = ('moganet-xtiny', 'moganet-tiny', 'moganet-small',
                  'moganet-base', 'moganet-large', 'moganet-xlarge')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='mmcnn benchmark suite: training vs deploy forms')
    parser.add_argument('--models', nargs='+', default=list(DEFAULT_MODELS),
                        help='backbones as FAMILY-ARCH')
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 8])
    parser.add_argument('--channels-last', choices=('off', 'on', 'both'),
                        default='both')
    parser.add_argument('--shape', type=int, default=224)
    parser.add_argument('--device', help='cpu or cuda (default: cuda when '
                        'available)')
    parser.add_argument('--threads', type=int, help='CPU threads')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--out', help='also write the summary (Markdown) '
                        'to this file')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> List[str]:
    args = parse_args(argv)
    formats = dict(off=[False], on=[True], both=[False, True])
    common = ['--shape', str(args.shape), '--warmup', str(args.warmup),
              '--rounds', str(args.rounds), '--iters', str(args.iters)]
    if args.device:
        common += ['--device', args.device]
    if args.threads:
        common += ['--threads', str(args.threads)]
    rows = []
    for model in args.models:
        for batch_size in args.batch_sizes:
            for channels_last in formats[args.channels_last]:
                suffix = ',channels_last' if channels_last else ''
                print(f'\n== {model}, batch {batch_size}, channels_last '
                      f'{"on" if channels_last else "off"}')
                train, deploy = benchmark.main([
                    '--arch', f'{model}:{suffix[1:]}' if suffix else model,
                    '--compare', f'{model}:deploy{suffix}',
                    '--batch-size', str(batch_size), *common])
                cells = []
                for result in (train, deploy):
                    throughput = batch_size / result.latency
                    cells += [f'{1e3 * result.latency:.1f}',
                              f'{throughput:.1f}']
                rows.append(
                    f'| {model} | {batch_size} | '
                    f'{"on" if channels_last else "off"} | ' +
                    ' | '.join(cells) +
                    f' | {train.latency / deploy.latency:.3f} |')
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    lines = [
        f'torch {torch.__version__}, {device}, '
        f'{platform.machine()}, {torch.get_num_threads()} threads, '
        f'input {args.shape}x{args.shape}, median of {args.rounds} rounds '
        f'x {args.iters} iters', '',
        '| model | batch | channels_last | train ms | train img/s | '
        'deploy ms | deploy img/s | deploy speed-up |',
        '|---|---|---|---|---|---|---|---|', *rows
    ]
    report_table(lines, args.out)
    return lines


if __name__ == '__main__':
    main()

"""ONNX Runtime against PyTorch for every backbone family on the CPU.

    .venv/bin/python benchmarks/onnx_speed.py [--models convnext-atto ...]
        [--shape 224] [--batch-sizes 1 8] [--threads 2] [--rounds 3]
        [--iters 1] [--out results.md]

For every model (default: each registered family's smallest zoo arch) it
builds the deploy form with random weights, exports it once with dynamic
batch, height and width (``mmcnn.deploy.export_onnx``), and for every batch
size compares ONNX Runtime with PyTorch (largest relative difference over
the stage outputs) and times both round by round in turn
(``time_interleaved``): PyTorch under ``torch.inference_mode`` and ORT on
the same number of intra-op threads. It prints a Markdown table of median
milliseconds per batch and the ORT / PyTorch ratio (< 1: ORT is faster).
"""
import argparse
import os.path as osp
import sys
import time
from typing import List, Optional, Sequence

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmcnn.analysis import (backbone_families, build_backbone,  # noqa: E402
                            report_table, switch_to_deploy)
from mmcnn.deploy import (compare, export_onnx, ort_session,  # noqa: E402
                          time_both)


def default_models() -> List[str]:
    """``family-arch`` of each registered family's smallest zoo arch."""
    return [f'{name}-{next(iter(cls.arch_zoo))}'
            for name, cls in sorted(backbone_families().items())]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--models', nargs='+', help='backbones FAMILY-ARCH '
                        '(default: every family at its smallest arch)')
    parser.add_argument('--shape', type=int, default=224,
                        help='square input side')
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 8])
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--iters', type=int, default=1)
    parser.add_argument('--out', help='also write the table here')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> str:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = ['| model | batch | max rel. diff | PyTorch ms | ORT ms | '
            'ORT / PyTorch |', '|---|---|---|---|---|---|']
    for name in args.models or default_models():
        start = time.perf_counter()
        model = build_backbone(name).eval()
        switch_to_deploy(model)
        example = torch.randn(1, 3, args.shape, args.shape)
        session = ort_session(export_onnx(model, example), args.threads)
        for batch in args.batch_sizes:
            x = torch.randn(batch, 3, args.shape, args.shape)
            error = compare(model, session, x).max_rel_diff
            torch_ms, ort_ms = time_both(model, session, x, args.threads,
                                         args.rounds, args.iters, warmup=1)
            rows.append(f'| {name} | {batch} | {error:.1e} | '
                        f'{torch_ms:.1f} | {ort_ms:.1f} | '
                        f'{ort_ms / torch_ms:.2f} |')
            print(rows[-1], flush=True)
        print(f'  ({name}: {time.perf_counter() - start:.0f} s)', flush=True)
    report_table(rows, args.out)
    return '\n'.join(rows)


if __name__ == '__main__':
    main()

"""Inference speed of a backbone or a full model, on the CPU or a GPU.

    python tools/analysis_tools/benchmark.py --arch moganet-tiny \\
        [--compare moganet-tiny:deploy] [--batch-size 1] [--shape H [W]] \\
        [--channels-last] [--deploy] [--threads N] [--device cpu|cuda]
    python tools/analysis_tools/benchmark.py CONFIG [--compare CONFIG2] ...

Times ``--rounds`` rounds of ``--iters`` forward passes each (after
``--warmup`` passes) on random inputs and prints, per model, the median and
range of the per-round latency, the throughput (images/s), the achieved
GMAC/s (MACs counted by :mod:`mmcnn.analysis` in the papers' convention, as
tools/analysis_tools/get_flops.py reports them), and the extra memory one
forward pass needs at its peak. With ``--compare`` the two models run
interleaved round by round in one process, and their ratio is printed.

A model is ``FAMILY-ARCH`` (a registered mmcnn backbone) or a config file,
optionally followed by ``:OPTION[,OPTION]`` with options ``deploy``
(re-parameterised) and ``channels_last``; ``--deploy`` and
``--channels-last`` set them for the first model. Full models from configs
run their ``mode='tensor'`` forward (features and head outputs, no
post-processing).
"""
import argparse
import os.path as osp
import platform
import statistics
import sys
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.structures import BaseDataElement
from torch import nn

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))

from mmcnn.analysis import (build_backbone, build_task_model,  # noqa: E402
                            count_macs, find_backbones, peak_memory_mib,
                            switch_to_deploy, time_interleaved)
from mmcnn.utils import keep_freed_memory  # noqa: E402
from tools.analysis_tools.shape_arg import (add_shape_argument,  # noqa
                                             parse_shape)

OPTIONS = ('deploy', 'channels_last')


@dataclass
class ModelSpec:
    """What to build: a backbone name or config, and how to run it."""

    source: str
    deploy: bool = False
    channels_last: bool = False

    @property
    def is_config(self) -> bool:
        return self.source.endswith('.py')

    @property
    def label(self) -> str:
        options = [o for o in OPTIONS if getattr(self, o)]
        name = osp.basename(self.source) if self.is_config else self.source
        return ':'.join([name, ','.join(options)]) if options else name


def parse_spec(text: str) -> ModelSpec:
    """``SOURCE[:OPTION[,OPTION]]`` -> :class:`ModelSpec`."""
    source, sep, options = text.rpartition(':')
    if not sep:
        return ModelSpec(text)
    spec = ModelSpec(source)
    for option in filter(None, options.replace('-', '_').split(',')):
        if option not in OPTIONS:
            raise ValueError(f'Unknown option {option!r} in {text!r}; '
                             f'valid options: {", ".join(OPTIONS)}.')
        setattr(spec, option, True)
    return spec


@dataclass
class Measured:
    """A built model with its inputs and measurements."""

    spec: ModelSpec
    forward: Callable[[], object]
    params: int
    macs_per_image: Optional[float]
    memory_mib: Optional[float]
    rounds: List[float] = field(default_factory=list)

    @property
    def latency(self) -> float:
        return statistics.median(self.rounds)


class _TensorForward(nn.Module):
    """``model(inputs, data_samples, mode='tensor')`` as a one-input module.

    mmdet's two-stage detectors read image shapes from the data samples
    even in tensor mode, so minimal ones are passed.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor) -> object:
        shape = tuple(inputs.shape[-2:])
        samples = [
            BaseDataElement(metainfo=dict(
                img_shape=shape, ori_shape=shape, pad_shape=shape,
                batch_input_shape=shape, scale_factor=(1., 1.)))
            for _ in range(inputs.shape[0])
        ]
        return self.model(inputs, samples, mode='tensor')


def build(spec: ModelSpec, device: torch.device) -> nn.Module:
    """The model of ``spec`` in eval mode on ``device``."""
    if spec.is_config:
        model = build_task_model(Config.fromfile(spec.source))
    else:
        model = build_backbone(spec.source)
    model.eval()
    if spec.deploy:
        switch_to_deploy(model)
    model.to(device)
    if spec.channels_last:
        model.to(memory_format=torch.channels_last)
    return _TensorForward(model) if spec.is_config else model


def in_channels(model: nn.Module) -> int:
    """Image channels the model expects (its backbone's, default 3)."""
    for backbone in find_backbones(model).values():
        return getattr(backbone, 'in_channels', 3)
    return 3


def prepare(spec: ModelSpec, args: argparse.Namespace,
            device: torch.device) -> Measured:
    """Build, warm up and measure MACs and memory of one model."""
    torch.manual_seed(0)
    model = build(spec, device)
    channels = in_channels(model)
    inputs = torch.randn(args.batch_size, channels, *args.shape,
                         device=device)
    if spec.channels_last:
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    macs = None
    if not args.no_flops:
        with torch.no_grad():
            try:
                macs = count_macs(model, (inputs[:1], ))
            except Exception as err:  # tracing fails on some heads
                print(f'[{spec.label}] MAC count failed, reported as n/a: '
                      f'{type(err).__name__}: {err}')

    def forward() -> object:
        with torch.inference_mode():
            return model(inputs)

    for _ in range(args.warmup):
        forward()
    memory = peak_memory_mib(forward, device)
    return Measured(spec, forward, sum(p.numel() for p in model.parameters()),
                    macs, memory)


def _fmt(value: Optional[float], digits: int = 2) -> str:
    return 'n/a' if value is None else f'{value:.{digits}f}'


def report(results: Sequence[Measured], batch_size: int) -> str:
    """A fixed-width table of the measurements (and the ratio for two)."""
    header = ('model', 'params(M)', 'GMACs/img', 'latency ms (median '
              '[min, max])', 'img/s', 'GMAC/s', 'peak +MiB')
    rows = []
    for r in results:
        ms = [1e3 * t for t in r.rounds]
        throughput = batch_size / r.latency
        gmac_s = (None if r.macs_per_image is None else
                  r.macs_per_image * throughput / 1e9)
        rows.append((
            r.spec.label, f'{r.params / 1e6:.3f}',
            _fmt(None if r.macs_per_image is None else
                 r.macs_per_image / 1e9, 3),
            f'{statistics.median(ms):.2f} [{min(ms):.2f}, {max(ms):.2f}]',
            f'{throughput:.2f}', _fmt(gmac_s, 1), _fmt(r.memory_mib, 1)))
    widths = [max(len(row[i]) for row in [header, *rows])
              for i in range(len(header))]
    lines = ['  '.join(c.ljust(w) for c, w in zip(row, widths))
             for row in [header, *rows]]
    lines.insert(1, '  '.join('-' * w for w in widths))
    if len(results) == 2:
        base, other = results
        lines.append('')
        lines.append(f'ratio {other.spec.label} / {base.spec.label}: '
                     f'throughput {base.latency / other.latency:.3f}x, '
                     f'latency {other.latency / base.latency:.3f}x')
    return '\n'.join(lines)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Benchmark inference speed on the CPU or a GPU')
    parser.add_argument('config', nargs='?',
                        help='config file of a full model (or use --arch)')
    parser.add_argument('--arch', help='backbone FAMILY-ARCH, e.g. '
                        'moganet-tiny')
    parser.add_argument('--compare', help='second model, SOURCE[:OPTIONS], '
                        'run interleaved with the first')
    parser.add_argument('--deploy', action='store_true',
                        help='re-parameterise the first model')
    parser.add_argument('--channels-last', action='store_true',
                        help='channels_last memory format for the first '
                        'model')
    parser.add_argument('--batch-size', type=int, default=1)
    add_shape_argument(parser, default=[224])
    parser.add_argument('--threads', type=int,
                        help='CPU threads (torch.set_num_threads)')
    parser.add_argument('--device', default=None,
                        help='cpu or cuda[:N]; default cuda when available')
    parser.add_argument('--warmup', type=int, default=3,
                        help='untimed forward passes per model')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--iters', type=int, default=10,
                        help='forward passes per round')
    parser.add_argument('--no-flops', action='store_true',
                        help='skip the MAC count (and GMAC/s)')
    args = parser.parse_args(argv)
    if (args.config is None) == (args.arch is None):
        parser.error('give either a CONFIG or --arch')
    args.shape = parse_shape(parser, args.shape)
    if min(args.rounds, args.iters, args.batch_size) < 1:
        parser.error('--rounds, --iters and --batch-size must be positive')
    return args


def main(argv: Optional[Sequence[str]] = None) -> List[Measured]:
    args = parse_args(argv)
    keep_freed_memory()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device or (
        'cuda' if torch.cuda.is_available() else 'cpu'))
    first = parse_spec(args.config or args.arch)
    first.deploy |= args.deploy
    first.channels_last |= args.channels_last
    specs = [first] + ([parse_spec(args.compare)] if args.compare else [])

    if device.type == 'cuda':
        where = torch.cuda.get_device_name(device)
    else:
        where = (f'{platform.processor() or platform.machine()}, '
                 f'{torch.get_num_threads()} threads')
    print(f'torch {torch.__version__} on {device} ({where}); batch '
          f'{args.batch_size}, input {args.shape[0]}x{args.shape[1]}, '
          f'{args.rounds} rounds x {args.iters} iters after '
          f'{args.warmup} warm-up')
    results = [prepare(spec, args, device) for spec in specs]
    timings = time_interleaved([result.forward for result in results],
                               args.rounds, args.iters, device)
    for result, seconds in zip(results, timings):
        result.rounds = seconds
    print(report(results, args.batch_size))
    return results


if __name__ == '__main__':
    main()

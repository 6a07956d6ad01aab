"""mmcnn backbones against their reference implementations.

    .venv/bin/python benchmarks/reference.py [--models replknet-31b ...] \\
        [--batch-sizes 1 8] [--shape 224] [--train] [--detection] \\
        [--threads 2] [--moganet-official DIR] [--out results.md]
    .venv/bin/python benchmarks/reference.py --dwconv-table [--train]

For every model and batch size, the reference (timm, mmpretrain or the
official code) in its default eager form, the reference converted to
channels-last (``model.to(memory_format=torch.channels_last)`` and a
channels-last input), and mmcnn's backbone in its best inference form
(``switch_to_deploy`` where the family has one; NCHW and channels-last
input, the faster counts) run interleaved round by round in one process on
the same input. The table gives images/s (median over rounds), the ratio of
mmcnn to both reference forms, and mmcnn's achieved GMAC/s (MACs of
:mod:`mmcnn.analysis`, the papers' convention) against ``--peak-gmacs``.
``--train`` times a training step (forward and backward of the summed
stage outputs, both models in training form) instead. ``--detection`` adds
800x1333 backbone-only inference at batch 1.

References without a PyPI implementation (SLaK, UniRepLKNet, and MogaNet
without ``--moganet-official``) are "eager": mmcnn's training form with
every depth-wise conv forced to PyTorch's ``conv2d`` on an NCHW input (the
layout the official models' channels-first norms and residual sums hand
it), i.e. the official models' computation in plain PyTorch.
``--moganet-official DIR`` imports ``DIR/moganet.py`` (the official
Westlake-AI/MogaNet ``models/moganet.py``, kept outside this repository)
and builds its ``MogaNet(arch, fork_feat=True)``.

``--dwconv-table`` times a depth-wise convolution by every algorithm of
:mod:`mmcnn.models.layers.dwconv` (NCHW ``'direct'`` on an NCHW input, the
others on a channels-last one) and the one ``'auto'`` picks.
"""
import argparse
import contextlib
import functools
import importlib.util
import os.path as osp
import platform
import statistics
import sys
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmcnn.analysis import (CLOCKS, build_backbone,  # noqa: E402
                            count_macs, report_table, switch_to_deploy,
                            time_interleaved)
from mmcnn.models.layers import DepthwiseConv2d, dwconv  # noqa: E402
from mmcnn.utils import keep_freed_memory  # noqa: E402

CL = torch.channels_last
REFERENCES: Dict[str, Tuple[str, ...]] = {
    'convnext-tiny': ('timm:convnext_tiny', 'mmpretrain:ConvNeXt:tiny'),
    'convnextv2-tiny': ('timm:convnextv2_tiny', ),
    'inceptionnext-tiny': ('timm:inception_next_tiny', ),
    'focalnet-tiny-srf': ('timm:focalnet_tiny_srf', ),
    'poolformer-s12': ('timm:poolformer_s12', ),
    'convformer-s18': ('timm:convformer_s18', ),
    'van-b0': ('mmpretrain:VAN:tiny', ),
    'hornet-tiny': ('mmpretrain:HorNet:tiny', ),
    'replknet-31b': ('mmpretrain:RepLKNet:31B', ),
    'slak-tiny': ('eager', ),
    'unireplknet-tiny': ('eager', ),
    'moganet-tiny': ('official', ),
    'moganet-xtiny': ('official', ),
    'moganet-small': ('official', ),
    'moganet-base': ('official', ),
}
# One model per family unless --models names more (MogaNet's other sizes).
ON_REQUEST = ('moganet-xtiny', 'moganet-small', 'moganet-base')
DEFAULT_MODELS = [name for name in REFERENCES if name not in ON_REQUEST]
DWCONV_SHAPES = ('8x256x56:3x3', '8x256x56:7x7', '8x256x56:13x13',
                 '8x256x56:31x31', '8x256x56:51x51', '8x124x56:51x5',
                 '8x124x56:5x51', '8x160x28:13x13', '8x512x14:27x27',
                 '8x64x56:7x7:3')


def load_official_moganet(folder: str, arch: str) -> nn.Module:
    """``MogaNet(arch, fork_feat=True)`` from ``folder/moganet.py``."""
    path = osp.join(folder, 'moganet.py')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} not found: pass the folder holding the official '
            'Westlake-AI/MogaNet models/moganet.py.')
    module = sys.modules.get('official_moganet')
    if module is None:  # loaded once: it registers its classes
        spec = importlib.util.spec_from_file_location('official_moganet',
                                                      path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # timm's @register_model needs it
        spec.loader.exec_module(module)
    return module.MogaNet(arch=arch, fork_feat=True)


def _nchw_input(module: nn.Module, args: Tuple[torch.Tensor, ...]
                ) -> Tuple[torch.Tensor, ...]:
    """Hand an NCHW input to a depth-wise conv, as the official models'
    channels-first norms and residual sums do."""
    return (args[0].contiguous(), ) + tuple(args[1:])


def build_reference(name: str, ref: str, args: argparse.Namespace,
                    channels_last: bool = False
                    ) -> Tuple[str, nn.Module, Optional[str]]:
    """``(label, model, forced depth-wise algorithm)`` of a reference.

    The "eager" reference to be run channels-last keeps its depth-wise
    inputs as they come.
    """
    kind, _, rest = ref.partition(':')
    if kind == 'official' and args.moganet_official:
        arch = name.split('-', 1)[1]
        return ('official', load_official_moganet(args.moganet_official,
                                                  arch), None)
    if kind in ('eager', 'official'):
        model = build_backbone(name)
        for module in model.modules():
            if isinstance(module, DepthwiseConv2d) and not channels_last:
                module.register_forward_pre_hook(_nchw_input)
        return 'eager', model, 'direct'
    if kind == 'timm':
        import timm
        model = timm.create_model(rest, pretrained=False, features_only=True,
                                  out_indices=(0, 1, 2, 3))
        return ref, model, None
    if kind == 'mmpretrain':
        from mmpretrain.registry import MODELS
        family, arch = rest.split(':')
        model = MODELS.build(dict(type=family, arch=arch,
                                  out_indices=(0, 1, 2, 3)))
        return ref, model, None
    raise ValueError(f'Unknown reference {ref!r}.')


def has_deploy_form(model: nn.Module) -> bool:
    """Whether ``switch_to_deploy`` changes anything in this backbone."""
    try:
        switch_to_deploy(model)
    except NotImplementedError:
        return False
    return True


@dataclass
class Variant:
    """One model form with its input, timed interleaved with the others."""

    label: str
    model: nn.Module
    inputs: torch.Tensor
    algorithm: Optional[str] = None
    train: bool = False
    rounds: List[float] = field(default_factory=list)

    def step(self) -> None:
        forced = (dwconv.force_algorithm(self.algorithm)
                  if self.algorithm else contextlib.nullcontext())
        with forced:
            if not self.train:
                with torch.inference_mode():
                    self.model(self.inputs)
                return
            outs = self.model(self.inputs)
            sum(o.float().mean() for o in outs).backward()
            self.model.zero_grad(set_to_none=True)

    @property
    def seconds(self) -> float:
        return statistics.median(self.rounds)


def prepare(model: nn.Module, inputs: torch.Tensor, channels_last: bool,
            train: bool) -> Tuple[nn.Module, torch.Tensor]:
    model.train(train)
    if channels_last:
        model.to(memory_format=CL)
        inputs = inputs.contiguous(memory_format=CL)
    return model, inputs


def time_variants(variants: Sequence[Variant], rounds: int,
                  round_seconds: float, clock: str = 'wall') -> None:
    """Fill each variant's per-call seconds, one round of each in turn.

    Each variant's first calls warm it up (the depth-wise algorithm trials
    included); its calls per round are chosen to last about
    ``round_seconds``. ``clock`` is a key of :data:`mmcnn.analysis.CLOCKS`.
    """
    now = CLOCKS[clock]
    iters = []
    for variant in variants:
        variant.step()
        start = now()
        variant.step()
        once = now() - start
        iters.append(max(1, round(round_seconds / max(once, 1e-6))))
    timings = time_interleaved([v.step for v in variants], rounds, iters,
                               clock=now)
    for variant, seconds in zip(variants, timings):
        variant.rounds += seconds


def params_m(model: nn.Module) -> float:
    return sum(p.numel() for p in model.parameters()) / 1e6


def compare(name: str, ref: str, batch: int, shape: Tuple[int, int],
            args: argparse.Namespace) -> List[str]:
    """Time one (model, reference, batch) cell; return its table row."""
    torch.manual_seed(0)
    image = torch.randn(batch, 3, *shape)
    label, ref_model, forced = build_reference(name, ref, args)
    variants = [Variant(f'{label}', *prepare(ref_model, image, False,
                                             args.train), forced, args.train)]
    ref_cl = build_reference(name, ref, args, channels_last=True)[1]
    variants.append(Variant(f'{label}:channels_last',
                            *prepare(ref_cl, image, True, args.train),
                            forced, args.train))
    mm_forms = []
    for channels_last in (False, True):
        model = build_backbone(name)
        deploy = not args.train and has_deploy_form(model.eval())
        tag = ('deploy' if deploy else 'eager') + (
            ',channels_last' if channels_last else '')
        mm_forms.append(Variant(f'mmcnn:{tag}', *prepare(
            model, image, channels_last, args.train), None, args.train))
    variants += mm_forms
    known = set(dwconv.algorithm_cache())
    time_variants(variants, args.rounds, args.round_seconds, args.clock)
    picks = sorted(f'{k[3][0]}x{k[3][1]}@{k[8]}ch:{v[0]}'
                   for k, v in dwconv.algorithm_cache().items()
                   if k not in known)
    print('   depth-wise algorithms picked: ' + (', '.join(picks) or '-'))
    best = min(mm_forms, key=lambda v: v.seconds)
    macs = count_macs(best.model.eval(), (image[:1], ))
    best.model.train(args.train)
    ips = {v.label: batch / v.seconds for v in variants}
    ref_ips, ref_cl_ips = ips[variants[0].label], ips[variants[1].label]
    gmacs = macs / 1e9 * ips[best.label]
    cells = [name, label, f'{shape[0]}x{shape[1]}', str(batch),
             f'{ref_ips:.2f}',
             f'{ref_cl_ips:.2f}',
             f'{ips[best.label]:.2f} ({best.label[6:]})',
             f'{ips[best.label] / ref_ips:.2f}x',
             f'{ips[best.label] / ref_cl_ips:.2f}x',
             f'{gmacs:.1f} ({100 * gmacs / args.peak_gmacs:.0f}%)']
    print('   ' + ', '.join(f'{v.label} {batch / v.seconds:.2f} img/s '
                            f'[{batch / max(v.rounds):.2f}-'
                            f'{batch / min(v.rounds):.2f}]'
                            for v in variants))
    print(f'   params: reference {params_m(ref_model):.2f} M, mmcnn '
          f'{params_m(best.model):.2f} M; GMACs/image {macs / 1e9:.2f}')
    return cells


def parse_dwconv_shape(text: str) -> Tuple[int, int, int, int, int, int]:
    """``NxCxH:KHxKW[:D]`` -> ``(N, C, H, KH, KW, D)``."""
    parts = text.split(':')
    n, c, h = (int(v) for v in parts[0].split('x'))
    kh, kw = (int(v) for v in parts[1].split('x'))
    dilation = int(parts[2]) if len(parts) > 2 else 1
    return n, c, h, kh, kw, dilation


def dwconv_table(args: argparse.Namespace) -> List[str]:
    """Milliseconds of every depth-wise algorithm per shape, interleaved."""
    names = ['NCHW direct' if a == 'direct' else a for a in dwconv.ALGORITHMS]
    rows = ['| shape | kernel | ' + ' | '.join(names) + ' | auto picks |',
            '|' + '---|' * (len(names) + 3)]
    for text in args.dwconv_shapes:
        n, c, h, kh, kw, d = parse_dwconv_shape(text)
        padding = (d * (kh - 1) // 2, d * (kw - 1) // 2)
        weight = torch.randn(c, 1, kh, kw) * 0.05
        bias = torch.randn(c)
        x = torch.randn(n, c, h, h)
        x_cl = x.contiguous(memory_format=CL)
        supported = dwconv.supported_algorithms(x, weight, (1, 1), padding,
                                                (d, d))
        variants = []
        for name in dwconv.ALGORITHMS:
            if name in supported:
                variants.append((name, x if name == 'direct' else x_cl,
                                 name))
        variants.append(('auto', x_cl, 'auto'))

        def call(inputs: torch.Tensor, algorithm: str) -> None:
            if not args.train:
                with torch.inference_mode():
                    dwconv.depthwise_conv2d(inputs, weight, bias, 1,
                                            padding, d, algorithm)
                return
            leaves = [t.detach().requires_grad_()
                      for t in (inputs, weight, bias)]
            out = dwconv.depthwise_conv2d(*leaves, 1, padding, d, algorithm)
            out.backward(torch.ones_like(out))

        calls = [functools.partial(call, inputs, algorithm)
                 for _, inputs, algorithm in variants]
        for warm_up in calls:
            warm_up()
        timings = dict(zip((v[0] for v in variants), time_interleaved(
            calls, args.rounds, 1, clock=CLOCKS[args.clock])))
        choice = [v for k, v in dwconv.algorithm_cache().items()
                  if k[3] == (kh, kw)
                  and k[7:9] == (dwconv.size_bucket(h, h), c)
                  and k[11] == args.train]
        kernel = f'{kh}x{kw}' + (f' d{d}' if d > 1 else '')
        cells = [f'{n}x{c}x{h}x{h}', kernel]
        for name in dwconv.ALGORITHMS:
            cells.append(f'{1e3 * statistics.median(timings[name]):.3g}'
                         if name in timings else '-')
        cells.append(choice[-1][0] if choice else '?')
        rows.append('| ' + ' | '.join(cells) + ' |')
        print(rows[-1], flush=True)
    return rows


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='mmcnn backbones vs reference implementations')
    parser.add_argument('--models', nargs='+', default=DEFAULT_MODELS,
                        choices=list(REFERENCES), metavar='MODEL',
                        help=f'any of {", ".join(REFERENCES)} (default: '
                        f'all but {", ".join(ON_REQUEST)})')
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 8])
    parser.add_argument('--shape', type=int, nargs='+', default=[224])
    parser.add_argument('--train', action='store_true',
                        help='time a training step (forward + backward)')
    parser.add_argument('--detection', action='store_true',
                        help='also 800x1333 backbone-only inference, '
                        'batch 1 (slow)')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--clock', choices=tuple(CLOCKS), default='wall',
                        help='wall time, or the process\'s CPU time (with '
                        '--threads 1 on a shared machine)')
    parser.add_argument('--round-seconds', type=float, default=1.,
                        help='about how long one round of one model lasts')
    parser.add_argument('--peak-gmacs', type=float, default=96.,
                        help='the machine\'s peak GMAC/s (96: 2 AVX-512 '
                        'cores)')
    parser.add_argument('--moganet-official', metavar='DIR',
                        help='folder with the official moganet.py')
    parser.add_argument('--dwconv-table', action='store_true',
                        help='time the depth-wise algorithms instead')
    parser.add_argument('--dwconv-shapes', nargs='+',
                        default=list(DWCONV_SHAPES),
                        help='NxCxH:KHxKW[:DILATION] (default: %(default)s)')
    parser.add_argument('--keep-freed-memory', action='store_true',
                        help='run both sides with glibc keeping freed '
                        'memory (mmcnn.utils.keep_freed_memory, what '
                        "mmcnn's tools do); default: the allocator's "
                        'defaults')
    parser.add_argument('--out', help='also write the table (Markdown)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> List[str]:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.keep_freed_memory and not keep_freed_memory():
        raise SystemExit('--keep-freed-memory needs glibc (Linux).')
    print(f'{platform.processor() or platform.machine()}, torch '
          f'{torch.__version__}, {args.threads} threads, '
          f'{"training step" if args.train else "inference"}')
    if args.dwconv_table:
        rows = dwconv_table(args)
    else:
        shape = tuple(args.shape * 2)[:2]
        cells: List[Tuple[Callable[[], List[str]], str]] = []
        for name in args.models:
            for ref in REFERENCES[name]:
                for batch in args.batch_sizes:
                    cells.append((lambda n=name, r=ref, b=batch: compare(
                        n, r, b, shape, args), f'{name} vs {ref}, batch '
                        f'{batch}'))
                if args.detection and not args.train:
                    cells.append((lambda n=name, r=ref: compare(
                        n, r, 1, (800, 1333), args),
                        f'{name} vs {ref}, 800x1333'))
        rows = ['| model | reference | input | batch | ref img/s | '
                'ref channels_last img/s | mmcnn img/s (form) | vs ref | '
                'vs ref channels_last | mmcnn GMAC/s (% peak) |',
                '|' + '---|' * 10]
        for run, title in cells:
            print(f'\n== {title}', flush=True)
            rows.append('| ' + ' | '.join(run()) + ' |')
    report_table(rows, args.out)
    return rows


if __name__ == '__main__':
    main()

"""Export a backbone or a task model to ONNX and check it in ONNX Runtime.

    python tools/deploy/export_onnx.py MODEL [CHECKPOINT] --out FILE.onnx
        [--shape H [W]] [--dynamic] [--opset N] [--fp16]
        [--image PATH] [--tolerance T] [--threads N]
        [--cfg-options key=value ...]

``MODEL`` is a backbone ``FAMILY-ARCH`` (e.g. ``moganet-tiny``, as in
tools/analysis_tools/get_flops.py) or an mmpretrain / mmseg / mmdet /
mmpose config; ``CHECKPOINT`` (optional) is loaded as
tools/deploy/reparameterize.py loads it. The model is re-parameterised
into its deploy form, exported with standard ONNX operators only (see
mmcnn/deploy/rewrites.py and docs/deploy.md for what each task exports),
checked with ``onnx.checker``, and run in ONNX Runtime on a random input
(and on ``--image`` when given). The tool prints the largest relative
difference to PyTorch and the ORT / PyTorch latency ratio (interleaved
timing, ``--threads`` threads, batch 1), and exits with status 1 when the
difference exceeds ``--tolerance``. With ``--dynamic`` the batch, height
and width are symbolic, and a second, odd input size is checked too.

A two-stage detector is written as a file per network: Faster / Mask
R-CNN as ``FILE.rpn.onnx``, ``FILE.bbox.onnx`` and ``FILE.mask.onnx``,
Cascade Mask R-CNN as ``FILE.rpn.onnx``, ``FILE.bbox0.onnx`` ... and
``FILE.mask0.onnx`` ... (a box and a mask graph per stage; see
mmcnn/deploy/two_stage.py), always with symbolic sizes, in float32 and
opset 16 or newer; the tool compares the first graph's tensors and the
detections of the whole ONNX Runtime pipeline with ``model.predict``, and
times both pipelines.

Examples::

    python tools/deploy/export_onnx.py moganet-xtiny --out moganet.onnx \\
        --dynamic --shape 224
    python tools/deploy/export_onnx.py \\
        configs/seg/moganet/moganet-xt_upernet_8xb2-160k_ade20k-512x512.py \\
        --out upernet.onnx --shape 512 --image \\
        ../shared/data/ade_sample/images/ADE_val_00000001.jpg
"""
import argparse
import os.path as osp
import statistics
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import onnxruntime as ort
import torch
from mmengine.config import Config, DictAction

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)

from mmcnn.analysis import (DEFAULT_SIZES, config_input_size,  # noqa: E402
                            config_task, switch_to_deploy)
from mmcnn.analysis.benchmark import time_interleaved  # noqa: E402
from mmcnn.deploy import (DEFAULT_OPSET, MIN_OPSET,  # noqa: E402
                          ExportError, TwoStageDetectorExport,
                          build_for_export, check_onnx, detection_agreement,
                          export_module, export_onnx, graph_path, image_input,
                          max_relative_difference, ort_session, run_ort,
                          run_torch, task_agreement, time_both,
                          torch_detections, two_stage_detections)

from tools.analysis_tools.shape_arg import (add_shape_argument,  # noqa
                                             parse_shape)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export an mmcnn backbone or a task config to ONNX, '
        'check it and compare ONNX Runtime with PyTorch.')
    parser.add_argument('model', help='backbone FAMILY-ARCH or a config')
    parser.add_argument('checkpoint', nargs='?',
                        help='weights to load (random weights without)')
    parser.add_argument('--out', required=True, help='the .onnx file')
    add_shape_argument(parser, extra_help=(
        'Default: 224 for backbones, the config\'s test size otherwise '
        '(as tools/analysis_tools/get_flops.py)'))
    parser.add_argument('--dynamic', action='store_true',
                        help='symbolic batch, height and width')
    parser.add_argument('--opset', type=int, default=DEFAULT_OPSET,
                        help=f'ONNX opset, {MIN_OPSET} or newer (default '
                        f'{DEFAULT_OPSET})')
    parser.add_argument('--fp16', action='store_true',
                        help='export in float16 (compared with the float32 '
                        'PyTorch model)')
    parser.add_argument('--image', help='also compare on this image')
    parser.add_argument(
        '--tolerance', type=float,
        help='largest relative difference accepted (default 1e-4, 1e-2 '
        'with --fp16)')
    parser.add_argument('--threads', type=int, default=2,
                        help='threads of both runtimes when timing')
    parser.add_argument('--rounds', type=int, default=5,
                        help='interleaved timing rounds (0: no timing)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries (with a config)')
    args = parser.parse_args(argv)
    args.shape = parse_shape(parser, args.shape)
    if args.cfg_options and not args.model.endswith('.py'):
        parser.error('--cfg-options goes with a config file.')
    if args.tolerance is None:
        args.tolerance = 1e-2 if args.fp16 else 1e-4
    return args


def load(args: argparse.Namespace) -> Tuple[torch.nn.Module, str,
                                             Optional[Config]]:
    """The model (weights loaded as tools/deploy/reparameterize.py does
    when a checkpoint is given), its task and its config."""
    if not args.checkpoint:
        return build_for_export(args.model, None, args.cfg_options)
    from tools.deploy.reparameterize import load_model
    model, _ = load_model(args.model, args.checkpoint, args.cfg_options,
                          use_saved=False)
    if not args.model.endswith('.py'):
        return model.eval(), 'backbone', None
    cfg = Config.fromfile(args.model)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    return model.eval(), config_task(cfg), cfg


def input_shapes(args: argparse.Namespace, task: str,
                 cfg: Optional[Config]) -> List[Tuple[int, int]]:
    """The export size (H, W), then with ``--dynamic`` a second, odd one."""
    if args.shape:
        shape = args.shape
    elif cfg is None:
        shape = DEFAULT_SIZES['backbone'][::-1]
    else:
        shape = tuple(config_input_size(cfg, task))[::-1]
    shapes = [tuple(shape)]
    if args.dynamic:
        shapes.append((shape[0] + shape[0] // 4 + 1,
                       shape[1] + shape[1] // 4 + 3))
    return shapes


def two_stage(args: argparse.Namespace, module: TwoStageDetectorExport,
              inputs: List[Tuple[str, torch.Tensor]]) -> Dict[str, object]:
    """Export a two-stage detector's graphs, check them, compare the first
    graph's tensors and the pipeline's detections with PyTorch on every
    input, and time both pipelines; the report."""
    if args.fp16:
        raise SystemExit('FAILED: --fp16 is not supported for two-stage '
                         'detectors.')
    try:
        files = module.export(inputs[0][1], args.out, args.opset)
        ops = {name: check_onnx(data) for name, data in files.items()}
    except ExportError as err:
        raise SystemExit(f'FAILED: {err}') from None
    for name, data in files.items():
        print(f'wrote {graph_path(args.out, name)} ({len(data) / 2**20:.1f} '
              f'MiB, opset {args.opset}, dynamic); onnx.checker passed; '
              f'operators: {" ".join(ops[name])}')
    sessions = {name: ort_session(data, args.threads)
                for name, data in files.items()}
    detector = module.model
    worst = 0.
    report: Dict[str, object] = {'ops': ops, 'task': 'det'}
    for name, x in inputs:
        error = max_relative_difference(
            run_torch(module.rpn, x),
            run_ort_or_exit(sessions['rpn'], x, name))
        worst = max(worst, error)
        extra = detection_agreement(
            two_stage_detections(detector, sessions, x)[0],
            torch_detections(detector, x)[0])
        report[name] = dict(max_rel_diff=error, **extra)
        details = ''.join(f', {k} {v:g}' for k, v in extra.items())
        print(f'{name}: max relative difference (rpn graph) {error:.2e}'
              f'{details}')
    if args.rounds > 0:
        x = inputs[0][1]
        before = torch.get_num_threads()
        torch.set_num_threads(args.threads)
        try:
            seconds = time_interleaved(
                [lambda: torch_detections(detector, x),
                 lambda: two_stage_detections(detector, sessions, x)],
                args.rounds, 1)
        finally:
            torch.set_num_threads(before)
        torch_ms, ort_ms = (statistics.median(s) * 1e3 for s in seconds)
        report.update(torch_ms=torch_ms, ort_ms=ort_ms)
        print(f'latency of the whole pipeline (batch 1, {args.threads} '
              f'threads, interleaved): PyTorch {torch_ms:.2f} ms, ORT '
              f'{ort_ms:.2f} ms, ORT / PyTorch {ort_ms / torch_ms:.2f}')
    report['max_rel_diff'] = worst
    return report


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, object]:
    args = parse_args(argv)
    model, task, cfg = load(args)
    try:
        switched = switch_to_deploy(model)
        print(f'{switched} mmcnn backbone(s) re-parameterised')
    except ValueError as err:
        print(f'{err} Exporting it as built.')
    module = export_module(model, task)
    shapes = input_shapes(args, task, cfg)
    torch.manual_seed(0)
    inputs = [(f'random {h}x{w}', torch.randn(1, 3, h, w))
              for h, w in shapes]
    if args.image:
        inputs.append((f'image {osp.basename(args.image)}',
                       image_input(args.image, shapes[0], cfg)))
    if isinstance(module, TwoStageDetectorExport):
        report = two_stage(args, module, inputs)
        return check_tolerance(report, args.tolerance)
    try:
        data = export_onnx(module, inputs[0][1], args.out, args.dynamic,
                           args.opset, args.fp16)
        ops = check_onnx(data)
    except ExportError as err:
        raise SystemExit(f'FAILED: {err}') from None
    print(f'wrote {args.out} ({len(data) / 2**20:.1f} MiB, opset '
          f'{args.opset}, {"dynamic" if args.dynamic else "static"}'
          f'{", float16" if args.fp16 else ""}); onnx.checker passed; '
          f'operators: {" ".join(ops)}')
    session = ort_session(data, args.threads)
    worst = 0.
    report: Dict[str, object] = {'ops': ops, 'task': task}
    for name, x in inputs:
        reference, outputs = run_torch(module, x), run_ort_or_exit(
            session, x, name)
        error = max_relative_difference(reference, outputs)
        worst = max(worst, error)
        extra = task_agreement(task, module, reference, outputs,
                               tuple(x.shape[2:]))
        report[name] = dict(max_rel_diff=error, **extra)
        details = ''.join(f', {k} {v:g}' for k, v in extra.items())
        print(f'{name}: max relative difference {error:.2e}{details}')
    if args.rounds > 0:
        torch_ms, ort_ms = time_both(module, session, inputs[0][1],
                                     args.threads, args.rounds)
        report.update(torch_ms=torch_ms, ort_ms=ort_ms)
        print(f'latency (batch 1, {args.threads} threads, interleaved): '
              f'PyTorch {torch_ms:.2f} ms, ORT {ort_ms:.2f} ms, ORT / '
              f'PyTorch {ort_ms / torch_ms:.2f}')
    report['max_rel_diff'] = worst
    return check_tolerance(report, args.tolerance)


def run_ort_or_exit(session: ort.InferenceSession, x: torch.Tensor,
                    name: str) -> list:
    """The outputs of ``session`` on ``x``, or exit with a message when ONNX
    Runtime cannot run the graph on it (``name``: the input), typically a
    shape the traced graph froze."""
    try:
        return run_ort(session, x)
    except Exception as err:  # onnxruntime raises its own RuntimeException
        raise SystemExit(
            f'FAILED: ONNX Runtime could not run the graph on the {name} '
            f'input: {str(err).splitlines()[0][:300]} (a size the export '
            'froze? compare with the export size).') from None


def check_tolerance(report: Dict[str, object],
                    tolerance: float) -> Dict[str, object]:
    """The report, after exiting with status 1 when its largest relative
    difference exceeds ``tolerance``."""
    worst = report['max_rel_diff']
    if not worst <= tolerance:
        print(f'FAILED: ONNX Runtime differs from PyTorch by {worst:.2e} '
              f'(> tolerance {tolerance:g}).')
        raise SystemExit(1)
    return report


if __name__ == '__main__':
    main()

"""Parameters and FLOPs of an mmcnn backbone or of any task config.

FLOPs follow the ConvNet papers: one multiply-add is one FLOP (as fvcore and
mmcv count), convolution biases, norms, pooling, upsampling, FFTs and
sampling ops are counted, elementwise arithmetic and activations are not
(they are listed). See ``mmcnn/analysis/handles.py`` for the table.

Examples::

    python tools/analysis_tools/get_flops.py --arch moganet-tiny
    python tools/analysis_tools/get_flops.py --arch moganet-tiny --shape 256
    python tools/analysis_tools/get_flops.py --arch replknet-31b --deploy
    python tools/analysis_tools/get_flops.py --arch slak-t --sparsity 0.4
    python tools/analysis_tools/get_flops.py --arch convnextv2-femto \\
        --ops conv linear
    python tools/analysis_tools/get_flops.py \\
        configs/det/moganet/retinanet_moganet-t_fpn_1x_coco.py --depth 2
    python tools/analysis_tools/get_flops.py \\
        configs/det/moganet/retinanet_moganet-t_fpn_1x_coco.py \\
        --shape 800 1333

``--shape`` is H W (height first), as in every mmcnn tool.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional, Tuple

from mmengine.config import Config, DictAction

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)

from mmcnn.analysis import (DEFAULT_SIZES, ComplexityReport,  # noqa: E402
                            MetaTraceError, analyze, build_backbone_model,
                            build_task_model, config_task, image_batch,
                            task_inputs, weight_densities)

from tools.analysis_tools.shape_arg import (add_shape_argument,  # noqa
                                             parse_shape)

SHAPE_DEFAULTS = (
    'Defaults: 224 for --arch and classification configs (their test '
    'CenterCrop size), 800 1280 for detection, the test Resize scale for '
    'segmentation (512 2048 on ADE20K) and the codec input_size for pose '
    '(256 192)')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Count the parameters and FLOPs (multiply-adds) of an '
        'mmcnn backbone or of a det/seg/pose/cls config.')
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument(
        'config', nargs='?', help='an mmdet/mmseg/mmpose/mmpretrain config')
    target.add_argument(
        '--arch',
        help='a backbone as FAMILY-ARCH, e.g. moganet-tiny or convnext-t; '
        'FAMILY matches a registered mmcnn class case-insensitively')
    add_shape_argument(parser, extra_help=SHAPE_DEFAULTS)
    parser.add_argument(
        '--num-classes',
        type=int,
        help='with --arch (default 1000): count the backbone with global '
        'average pooling and a linear classifier of this many classes, as '
        'the papers do; 0 counts the bare backbone (all stages)')
    parser.add_argument(
        '--deploy',
        action='store_true',
        help='with --arch: count the re-parameterised inference form '
        '(merged kernels, folded BN), as the RepLKNet and UniRepLKNet '
        'papers do')
    parser.add_argument(
        '--sparsity',
        type=float,
        help='with --arch: count a sparse model as SLaK does (its papers '
        'report non-zero weights): this fraction of every conv/linear '
        'weight is zero, and each layer costs its non-zero weights per '
        'position (SLaK: 0.4)')
    parser.add_argument(
        '--sparse-layout',
        choices=('uniform', 'erk'),
        default='uniform',
        help='with --sparsity: the same density in every layer (default), '
        'or the Erdos-Renyi-kernel spread of DynamicSparsityHook')
    parser.add_argument(
        '--ops',
        nargs='+',
        help='count only these operators (names as in "FLOPs by '
        'operator"), e.g. "--ops conv linear" for the convention of the '
        'ConvNeXt V1/V2 tables (no norms, biases or pooling)')
    parser.add_argument(
        '--depth',
        type=int,
        help='also print a per-module table down to this depth')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, as in tools/train.py')
    args = parser.parse_args(argv)
    args.shape = parse_shape(parser, args.shape)
    if args.config and args.num_classes is not None:
        parser.error('--num-classes goes with --arch; a config brings its '
                     'own head.')
    if args.config and (args.deploy or args.sparsity is not None):
        parser.error('--deploy and --sparsity go with --arch.')
    if args.num_classes is None:
        args.num_classes = 1000
    return args


def _size(shape: Optional[Tuple[int, int]]) -> Optional[Tuple[int, int]]:
    """``(H, W)`` from ``--shape`` -> the ``(width, height)`` that
    :mod:`mmcnn.analysis` takes, like mmdet's image scales."""
    if shape is None:
        return None
    return (shape[1], shape[0])


def _count_backbone(args: argparse.Namespace, size: Tuple[int, int],
                    device: str) -> ComplexityReport:
    model = build_backbone_model(
        args.arch, args.num_classes, size, deploy=args.deploy, device=device)
    density = None
    if args.sparsity is not None:
        density = weight_densities(model, args.sparsity, args.sparse_layout)
    return analyze(
        model, (image_batch(size), ),
        weight_density=density,
        only_ops=args.ops)


def get_flops(args: argparse.Namespace) -> Tuple[str, ComplexityReport]:
    """The model's description and its complexity report."""
    size = _size(args.shape)
    if args.arch:
        size = size or DEFAULT_SIZES['backbone']
        head = (f' + GAP + classifier ({args.num_classes} classes)'
                if args.num_classes > 0 else ' (backbone only)')
        if args.deploy:
            head += ', deploy form'
        try:  # without allocating the weights, if every op allows it
            return args.arch + head, _count_backbone(args, size, 'meta')
        except MetaTraceError:
            return args.arch + head, _count_backbone(args, size, 'cpu')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    task = config_task(cfg)
    model = build_task_model(cfg)
    inputs, forward = task_inputs(cfg, task, model, size)
    description = f'{args.config} ({task}, {type(model).__name__})'
    return description, analyze(model, (inputs, ), forward, only_ops=args.ops)


def main(argv: Optional[List[str]] = None) -> ComplexityReport:
    args = parse_args(argv)
    description, report = get_flops(args)
    print(description)
    print(report.summary())
    if args.depth is not None:
        print(report.table(args.depth))
    return report


if __name__ == '__main__':
    main()

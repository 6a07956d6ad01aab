"""Parameters and FLOPs of an mmcnn backbone or of any task config.

FLOPs follow the ConvNet papers: one multiply-add is one FLOP (as fvcore and
mmcv count), convolution biases, norms, pooling, upsampling, FFTs and
sampling ops are counted, elementwise arithmetic and activations are not
(they are listed). See ``mmcnn/analysis/handles.py`` for the table.

Examples::

    python tools/analysis_tools/get_flops.py --arch moganet-tiny
    python tools/analysis_tools/get_flops.py --arch moganet-tiny --shape 256
    python tools/analysis_tools/get_flops.py \\
        configs/det/moganet/retinanet_moganet-t_fpn_1x_coco.py --depth 2
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional, Tuple

from mmengine.config import Config, DictAction

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO_ROOT)

from mmcnn.analysis import (DEFAULT_SIZES, ComplexityReport,  # noqa: E402
                            analyze, build_backbone_model, build_task_model,
                            config_task, image_batch, task_inputs)

SHAPE_HELP = (
    'input size as W H, width first like mmdet\'s image scales: '
    '"--shape 1280 800" is 1280 pixels wide and 800 high; one value gives '
    'a square. Defaults: 224 for --arch and classification configs (their '
    'test CenterCrop size), 1280 800 for detection, the test Resize scale '
    'for segmentation (2048 512 on ADE20K) and the codec input_size for '
    'pose (192 256, i.e. 256x192 as HxW)')


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
    parser.add_argument('--shape', type=int, nargs='+', help=SHAPE_HELP)
    parser.add_argument(
        '--num-classes',
        type=int,
        help='with --arch (default 1000): count the backbone with global '
        'average pooling and a linear classifier of this many classes, as '
        'the papers do; 0 counts the bare backbone (all stages)')
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
    if args.shape is not None and len(args.shape) not in (1, 2):
        parser.error('--shape takes W H or a single size.')
    if args.config and args.num_classes is not None:
        parser.error('--num-classes goes with --arch; a config brings its '
                     'own head.')
    if args.num_classes is None:
        args.num_classes = 1000
    return args


def _size(shape: Optional[List[int]]) -> Optional[Tuple[int, int]]:
    if shape is None:
        return None
    return (shape[0], shape[-1])


def get_flops(args: argparse.Namespace) -> Tuple[str, ComplexityReport]:
    """The model's description and its complexity report."""
    size = _size(args.shape)
    if args.arch:
        size = size or DEFAULT_SIZES['backbone']
        model = build_backbone_model(args.arch, args.num_classes, size)
        head = (f' + GAP + linear classifier ({args.num_classes} classes)'
                if args.num_classes > 0 else ' (backbone only)')
        return args.arch + head, analyze(model, (image_batch(size), ))
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    task = config_task(cfg)
    model = build_task_model(cfg)
    inputs, forward = task_inputs(cfg, task, model, size)
    description = f'{args.config} ({task}, {type(model).__name__})'
    return description, analyze(model, (inputs, ), forward)


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

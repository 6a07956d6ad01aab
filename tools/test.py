"""Evaluate a trained model of any task with its config's evaluator.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--show-dir DIR]
        [--cfg-options key=value ...] [--launcher none|pytorch|slurm|mpi]

Prints the metrics of the config's ``test_evaluator`` (COCO AP, mIoU,
keypoint AP, top-1...). ``--show-dir`` writes visualised predictions (PNG)
under the work dir.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config, DictAction  # noqa: E402

from tools.misc.runner_setup import (build_runner, enable_visualization,  # noqa
                                     setup_work_dir)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where to save the metrics')
    parser.add_argument(
        '--show-dir',
        help='directory (under the work dir) for visualised predictions')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries, e.g. test_dataloader.batch_size=2')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    setup_work_dir(cfg, args.config, args.work_dir)
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'Checkpoint not found: {args.checkpoint!r}')
    cfg.load_from = args.checkpoint
    if args.show_dir:
        enable_visualization(cfg, args.show_dir)
    build_runner(cfg).test()


if __name__ == '__main__':
    main()

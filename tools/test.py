"""Evaluate a trained model of any task with its config's evaluator.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--show-dir DIR]
        [--cfg-options key=value ...] [--launcher none|pytorch|slurm|mpi]

Prints the metrics of the config's ``test_evaluator`` (COCO AP, mIoU,
keypoint AP, top-1...). ``--show-dir DIR`` draws the predictions of every
test image into ``<work_dir>/DIR/<image name>.png`` (every task; one
picture per image) and prints that folder at the end.

Exits non-zero, saying why, when the run would evaluate nothing: a
checkpoint whose weights do not fit the config's model (for heads trained
for another number of classes, the message names the keys and the
``num_classes`` to set), an empty test set, or an evaluator that returns
no metric.
"""
import argparse
import os.path as osp
import sys

from mmengine.dist import get_rank, get_world_size

from mmcnn.engine.runner_setup import (NothingEvaluatedError,
                                       add_runner_arguments,
                                       add_show_dir_hook, build_runner,
                                       load_config, parse_runner_args,
                                       run_test)

# The repository root, so that configs import ``projects.<name>.<name>``.
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where to save the metrics')
    parser.add_argument(
        '--show-dir',
        help='folder (relative to the work dir) for the drawn predictions: '
        'one PNG per test image, named after the image')
    add_runner_arguments(parser, 'test_dataloader.batch_size=2')
    return parse_runner_args(parser)


def main() -> None:
    args = parse_args()
    cfg = load_config(args)
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'Checkpoint not found: {args.checkpoint!r}')
    cfg.load_from = args.checkpoint
    runner = build_runner(cfg)
    show = add_show_dir_hook(runner, args.show_dir) if args.show_dir \
        else None
    try:
        run_test(runner)
    except NothingEvaluatedError as err:
        raise SystemExit(f'tools/test.py evaluated nothing. {err}') from None
    if show is not None and get_rank() == 0:
        count = f'{len(show.written)} ' if get_world_size() == 1 else ''
        print(f'Drawn predictions of {count}images (PNG): {show.out_dir}')


if __name__ == '__main__':
    main()

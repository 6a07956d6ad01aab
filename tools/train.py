"""Train a model of any task (det, seg, pose, cls) from an mmcnn config.

The config's ``default_scope`` (mmdet, mmseg, mmpose or mmpretrain) picks
the downstream library; mmcnn's backbones resolve as ``mmcnn.<Name>``.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--cfg-options key=value ...] [--launcher none|pytorch|slurm|mpi]
"""
import argparse
import os.path as osp
import sys

from mmcnn.engine.runner_setup import (add_runner_arguments,
                                       add_safety_hooks, build_runner,
                                       load_config, parse_runner_args, train,
                                       use_amp, use_exact_resume_loop)
from mmcnn.utils.resume import find_resume_checkpoint

# The repository root, so that configs import ``projects.<name>.<name>``.
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from CKPT, or when no path is given from the one '
        'last_checkpoint in the work dir names (the newest loadable '
        'checkpoint there if that one is missing or unreadable)')
    parser.add_argument(
        '--amp', action='store_true',
        help='automatic mixed precision training: float16 with loss '
        'scaling on a GPU, bfloat16 autocast on the CPU')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the learning rate by the actual total batch size')
    add_runner_arguments(parser, 'train_cfg.max_epochs=2')
    return parse_runner_args(parser)


def main() -> None:
    args = parse_args()
    cfg = load_config(args)
    add_safety_hooks(cfg)
    use_exact_resume_loop(cfg)
    if args.amp:
        use_amp(cfg)
    if args.auto_scale_lr:
        cfg.setdefault('auto_scale_lr', {})['enable'] = True
    if args.resume == 'auto':
        cfg.load_from = find_resume_checkpoint(cfg.work_dir)
        cfg.resume = cfg.load_from is not None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    train(build_runner(cfg))


if __name__ == '__main__':
    main()

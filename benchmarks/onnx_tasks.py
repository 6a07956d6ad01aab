"""Every family's task models exported to ONNX: the family x task table.

    .venv/bin/python benchmarks/onnx_tasks.py [--families moganet ...]
        [--tasks cls retinanet ...] [--rounds 1] [--threads 2]
        [--out table.md]

For every family (a folder of ``configs/cls``, ``det``, ``seg``, ``pose``,
or a project under ``projects/`` with configs of its own) and task
(:data:`TASKS`: classifier, RetinaNet, Mask R-CNN, Cascade Mask R-CNN,
UperNet, Semantic FPN, top-down heatmap) it takes the family's
config of that task with the smallest backbone, and runs
``tools/deploy/export_onnx.py`` on it: deploy form, random weights
(detectors score every class, so that they detect), dynamic export, three
inputs (a random one at the size of :data:`TASKS`, a random one at the odd
second size, a real image from ``../shared/data``), the task checks, and
the interleaved ORT / PyTorch latency at batch 1. It prints one Markdown
row per cell as it goes and the whole table at the end; a cell that fails
says why in its row.
"""
import argparse
import glob
import os.path as osp
import re
import sys
import tempfile
import time
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmengine.config import Config  # noqa: E402

from mmcnn.analysis import report_table  # noqa: E402
from mmcnn.registry import MODELS  # noqa: E402
from tools.deploy import export_onnx as export_tool  # noqa: E402

SHARED = osp.join(osp.dirname(ROOT), 'shared', 'data')


class Task(NamedTuple):
    """A task's config file-name pattern, export size (H, W), sample image
    and extra config options."""
    pattern: str
    shape: Tuple[int, int]
    image: str
    options: Tuple[str, ...] = ()


COCO = 'coco_sample/000000000785.jpg'
ADE = 'ade_sample/images/ADE_val_00000001.jpg'
TASKS: Dict[str, Task] = {
    'cls': Task(r'[^_]+_\d+xb\d+_in1k\.py', (224, 224), COCO),
    'retinanet': Task(r'retinanet_[^_]+_fpn_1x_coco\.py',
                      (320, 480), COCO, ('model.test_cfg.score_thr=0.0', )),
    'mask-rcnn': Task(r'mask-rcnn_[^_]+_fpn_1x_coco\.py',
                      (320, 480), COCO,
                      ('model.test_cfg.rcnn.score_thr=0.0', )),
    'cascade-mask-rcnn': Task(
        r'cascade-mask-rcnn_[^_]+_fpn_.*_coco\.py',
        (320, 480), COCO, ('model.test_cfg.rcnn.score_thr=0.0', )),
    'upernet': Task(r'[^_]+_upernet_.*_ade20k-512x512\.py',
                    (256, 256), ADE),
    'semantic-fpn': Task(r'[^_]+_fpn_8xb4-.*_ade20k-512x512\.py',
                         (256, 256), ADE),
    'pose': Task(r'td-hm_[^_]+_8xb32-210e_coco-256x192\.py',
                 (256, 192), 'coco_sample/000000040083.jpg'),
}


def backbone_params(config: str) -> int:
    """Parameters of ``config``'s backbone (built without weights)."""
    cfg = Config.fromfile(config)
    backbone = dict(cfg.model.backbone, init_cfg=None)
    return sum(p.numel() for p in MODELS.build(backbone).parameters())


def family_configs(family: str) -> List[str]:
    """The configs of ``family``: ``configs/<task>/<family>/`` or, for a
    project, ``projects/<family>/configs/``."""
    project = osp.join(ROOT, 'projects', family, 'configs')
    pattern = (osp.join(project, '*.py') if osp.isdir(project) else
               osp.join(ROOT, 'configs', '*', family, '*.py'))
    return sorted(glob.glob(pattern))


def default_families() -> List[str]:
    """The folders of ``configs/cls``, then the projects with a config of
    some task."""
    core = sorted(osp.basename(osp.dirname(d)) for d in
                  glob.glob(osp.join(ROOT, 'configs', 'cls', '*', '')))
    projects = sorted(
        osp.basename(osp.dirname(osp.dirname(d))) for d in
        glob.glob(osp.join(ROOT, 'projects', '*', 'configs', '')))
    return core + [name for name in projects if any(
        re.fullmatch(task.pattern, osp.basename(path))
        for task in TASKS.values() for path in family_configs(name))]


def smallest_config(family: str, task: Task) -> Optional[str]:
    """``family``'s config of ``task`` with the fewest backbone
    parameters, or ``None`` when it has none."""
    found = [path for path in family_configs(family)
             if re.fullmatch(task.pattern, osp.basename(path))]
    return min(found, key=backbone_params) if found else None


def summary(task: str, report: Dict[str, object]) -> str:
    """The task check of ``report`` over its inputs, in a few words."""
    inputs = [v for v in report.values()
              if isinstance(v, dict) and 'max_rel_diff' in v]
    values = lambda key: [r[key] for r in inputs if key in r]  # noqa: E731
    if task == 'cls':
        return f'top-1 equal {min(values("top1_agreement")):.0%}'
    if task in ('upernet', 'semantic-fpn'):
        return (f'argmax equal >= {min(values("argmax_agreement")):.5%}, '
                f'{max(values("argmax_differences_beyond_ties")):.0f} '
                'beyond ties')
    if task == 'pose':
        return 'heatmaps'
    counts = [f'{r["detections_ort"]:.0f}/{r["detections_torch"]:.0f}'
              for r in inputs]
    text = (f'detections {" ".join(counts)}, paired '
            f'{" ".join(f"{v:.0%}" for v in values("label_agreement"))}')
    key, unit = (('max_box_diff', ' px') if task == 'retinanet' else
                 ('max_box_rel_diff', ' rel.'))
    boxes = values(key)
    if boxes:
        text += f', paired boxes within {max(boxes):.1e}{unit}'
    masks = values('mask_pixel_disagreement')
    if masks:
        text += f', mask pixels differing {max(masks):.1e}'
    return text


def run_cell(config: str, task_name: str, task: Task, rounds: int,
             threads: int, work_dir: str) -> str:
    """One table row: export and check ``config``, or why it failed."""
    argv = [config, '--out', osp.join(work_dir, f'{task_name}.onnx'),
            '--dynamic', '--shape', *map(str, task.shape), '--rounds',
            str(rounds), '--threads', str(threads)]
    image = osp.join(SHARED, task.image)
    if osp.isfile(image):
        argv += ['--image', image]
    if task.options:
        argv += ['--cfg-options', *task.options]
    name = osp.relpath(config, ROOT)
    start = time.perf_counter()
    try:
        report = export_tool.main(argv)
    except SystemExit as err:
        why = ('ORT differs beyond the tolerance (printed above)'
               if err.code == 1 else err.code)
        return f'| `{name}` | {task_name} | FAILED: {why} | | | | | |'
    ops = report['ops']
    graphs = len(ops) if isinstance(ops, dict) else 1
    print(f'  ({name}: {time.perf_counter() - start:.0f} s)', flush=True)
    timing = (f'{report["torch_ms"]:.0f} | {report["ort_ms"]:.0f} | '
              f'{report["ort_ms"] / report["torch_ms"]:.2f}'
              if 'torch_ms' in report else ' | | ')
    return (f'| `{name}` | {task_name} | yes ({graphs} graph'
            f'{"s" * (graphs > 1)}) | {report["max_rel_diff"]:.1e} | '
            f'{summary(task_name, report)} | {timing} |')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--families', nargs='+', help='config folders of '
                        'configs/cls or projects (default: all of them)')
    parser.add_argument('--tasks', nargs='+', choices=list(TASKS),
                        default=list(TASKS))
    parser.add_argument('--rounds', type=int, default=1,
                        help='interleaved timing rounds (0: no timing)')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--out', help='also write the table here')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> List[str]:
    args = parse_args(argv)
    families = args.families or default_families()
    rows = ['| config | task | exported | max rel. diff | task check | '
            'PyTorch ms | ORT ms | ORT / PyTorch |',
            '|---|---|---|---|---|---|---|---|']
    with tempfile.TemporaryDirectory() as work_dir:
        for family in families:
            for task_name in args.tasks:
                task = TASKS[task_name]
                config = smallest_config(family, task)
                if config is None:
                    rows.append(f'| {family} | {task_name} | no config '
                                '| | | | | |')
                else:
                    rows.append(run_cell(config, task_name, task,
                                         args.rounds, args.threads,
                                         work_dir))
                print(rows[-1], flush=True)
    report_table(rows, args.out)
    return rows


if __name__ == '__main__':
    main()

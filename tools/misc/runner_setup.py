"""Runner set-up shared by tools/train.py and tools/test.py."""
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mmcnn  # noqa: F401  (allow-lists safe checkpoint contents)


def setup_work_dir(cfg: Config, config_path: str,
                   work_dir: Optional[str]) -> None:
    """``--work-dir`` > the config's ``work_dir`` > work_dirs/CONFIG_NAME."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join(
            'work_dirs', osp.splitext(osp.basename(config_path))[0])


def enable_visualization(cfg: Config, show_dir: str) -> None:
    """Switch the task's visualisation hook on, writing PNGs to show_dir.

    The four libraries name the switch and the output folder differently.
    """
    hooks = cfg.default_hooks
    if 'visualization' not in hooks:
        raise SystemExit(
            'The config has no default_hooks.visualization; add the task '
            "library's visualisation hook to use --show-dir.")
    hook = hooks.visualization
    scope = cfg.get('default_scope', 'mmdet')
    if scope == 'mmdet':
        hook.update(draw=True, test_out_dir=show_dir)
    elif scope == 'mmseg':
        hook.update(draw=True, interval=1)
        cfg.visualizer.save_dir = osp.join(cfg.work_dir, show_dir)
    else:
        hook.update(enable=True, out_dir=show_dir)


def build_runner(cfg: Config) -> Runner:
    """Build the runner the config asks for (OpenMMLab convention)."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)

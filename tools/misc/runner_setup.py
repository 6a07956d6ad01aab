"""Runner set-up shared by tools/train.py and tools/test.py."""
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mmcnn.engine  # noqa: F401  (safe loading, atomic saving, hooks)
from mmcnn.utils import keep_freed_memory


def setup_work_dir(cfg: Config, config_path: str,
                   work_dir: Optional[str]) -> None:
    """``--work-dir`` > the config's ``work_dir`` > work_dirs/CONFIG_NAME."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join(
            'work_dirs', osp.splitext(osp.basename(config_path))[0])


def add_safety_hooks(cfg: Config) -> None:
    """Hooks every training run gets: stop on a NaN/inf loss before a bad
    checkpoint is saved, keep RNG states in checkpoints for exact
    ``--resume``, and save checkpoints with ``mmcnn.CheckpointHook``
    (:func:`use_safe_checkpoint_hook`)."""
    hooks = cfg.get('custom_hooks') or []
    for name in ('FiniteLossHook', 'RNGStateHook'):
        if not any(name in str(h.get('type')) for h in hooks):
            hooks.append(dict(type=f'mmcnn.{name}'))
    cfg.custom_hooks = hooks
    use_safe_checkpoint_hook(cfg)


def use_safe_checkpoint_hook(cfg: Config) -> None:
    """Swap mmengine's ``CheckpointHook`` for ``mmcnn.CheckpointHook``,
    keeping its arguments; the Runner's default one (``interval=1``) when
    the config names none. A disabled or custom checkpoint hook is kept."""
    from mmengine.hooks import CheckpointHook
    if cfg.get('default_hooks') is None:
        cfg.default_hooks = dict()
    default_hooks = cfg.default_hooks
    if 'checkpoint' not in default_hooks:
        default_hooks['checkpoint'] = dict(type='CheckpointHook', interval=1)
    hook = default_hooks['checkpoint']
    if isinstance(hook, dict) and hook.get('type') in (
            'CheckpointHook', 'mmengine.CheckpointHook', CheckpointHook):
        hook['type'] = 'mmcnn.CheckpointHook'


def use_exact_resume_loop(cfg: Config) -> None:
    """Train an epoch-based config with ``mmcnn.EpochBasedTrainLoop``, which
    resumes from a mid-epoch (``by_epoch=False``) checkpoint at the right
    batch instead of replaying the epoch from its start as mmengine's loop
    does. Other loop types are left as they are."""
    from mmengine.runner import EpochBasedTrainLoop
    train_cfg = cfg.get('train_cfg')
    if not train_cfg:
        return
    loop_type = train_cfg.get('type')
    if loop_type is None:
        if not train_cfg.get('by_epoch', False):
            return
    elif loop_type not in ('EpochBasedTrainLoop',
                           'mmengine.EpochBasedTrainLoop',
                           EpochBasedTrainLoop):
        return
    train_cfg.pop('by_epoch', None)
    train_cfg['type'] = 'mmcnn.EpochBasedTrainLoop'


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
        hook.update(enable=True,
                    out_dir=osp.join(osp.abspath(cfg.work_dir), show_dir))


def prepare_cpu_distributed(cfg: Config) -> None:
    """Run a distributed launch on CPUs with the gloo backend.

    mmengine's launcher set-up binds every process to a CUDA device and
    wraps the model for one; without GPUs the process group is started
    here (so mmengine skips its own) and DDP gets no device ids.
    """
    import torch
    import torch.distributed as dist
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none' or torch.cuda.is_available():
        return
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = \
        'gloo'
    if launcher == 'pytorch' and not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False)
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


def train(runner: Runner) -> None:
    """``runner.train()``, explaining a failure caused by an empty training
    set (mmengine reports it as a numpy error)."""
    try:
        runner.train()
    except ValueError as err:
        dataset_cfg = runner.cfg.get('train_dataloader', {}).get('dataset')
        if dataset_cfg is None:
            raise
        from mmengine.registry import DefaultScope

        from mmcnn.utils.data_check import empty_dataset_message
        with DefaultScope.overwrite_default_scope(
                runner.cfg.get('default_scope')):
            message = empty_dataset_message(dataset_cfg)
        if message is None:
            raise
        raise ValueError(message) from err


def build_runner(cfg: Config) -> Runner:
    """Build the runner the config asks for (OpenMMLab convention), with
    glibc told to keep freed feature maps (:func:`keep_freed_memory`)."""
    keep_freed_memory()
    prepare_cpu_distributed(cfg)
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)

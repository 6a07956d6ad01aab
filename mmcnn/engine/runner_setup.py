"""Runner set-up shared by tools/train.py and tools/test.py: work dir,
safety hooks, exact resume, AMP, CPU distributed runs, and the checks that
make tools/test.py fail loudly when it evaluates nothing."""
import argparse
import copy
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import torch
from mmengine.config import Config, DictAction
from mmengine.hooks import Hook
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from torch import nn

from mmcnn.utils import keep_freed_memory


def add_runner_arguments(parser: argparse.ArgumentParser,
                         example: str) -> None:
    """``--cfg-options`` (help gives ``example``), ``--launcher`` and
    ``--local-rank``: the options tools/train.py and tools/test.py share."""
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help=f'override config entries, e.g. {example}')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_runner_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """The command line, with ``LOCAL_RANK`` set from ``--local-rank``
    unless the launcher set it."""
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def load_config(args: argparse.Namespace) -> Config:
    """``args.config`` with ``--cfg-options`` merged, the launcher and the
    work dir (:func:`setup_work_dir`) set."""
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    setup_work_dir(cfg, args.config, args.work_dir)
    return cfg


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


def use_amp(cfg: Config) -> str:
    """Train in mixed precision: mmengine's ``AmpOptimWrapper`` (float16
    with dynamic loss scaling) on a GPU, mmcnn's ``CPUAmpOptimWrapper``
    (bfloat16 autocast, no loss scaling) without one, where mmengine's
    wrapper refuses to start. Returns the wrapper type set."""
    from mmengine.device import get_device
    wrapper = cfg.optim_wrapper
    if get_device() == 'cpu':
        wrapper.type = 'mmcnn.CPUAmpOptimWrapper'
        wrapper.pop('loss_scale', None)
        wrapper['dtype'] = 'bfloat16'
    else:
        wrapper.type = 'AmpOptimWrapper'
        wrapper.setdefault('loss_scale', 'dynamic')
    return wrapper.type


class NothingEvaluatedError(RuntimeError):
    """A test run that would evaluate nothing, and why."""


def _plain_model(runner: Runner) -> nn.Module:
    from mmengine.model import is_model_wrapper
    return runner.model.module if is_model_wrapper(runner.model) \
        else runner.model


def _class_counts(model_size: int, ckpt_size: int, num: int) -> Set[int]:
    """Class counts N with which a head tensor of ``model_size`` rows for
    ``num`` classes has ``ckpt_size`` rows: rows = a * classes + b with a
    whole ``a >= 1`` (anchors, box coordinates) and ``b`` 0 or 1 (a
    background class)."""
    counts = set()
    for extra in (0, 1):
        per_class, rest = divmod(model_size - extra, num)
        if per_class < 1 or rest:
            continue
        count, rest = divmod(ckpt_size - extra, per_class)
        if count >= 1 and not rest:
            counts.add(count)
    return counts


def _class_attribute(model: nn.Module, key: str) -> Optional[Tuple[str, str]]:
    """(module name, attribute) of the nearest module above ``key`` that
    holds its class count: ``num_classes``, or a head's ``out_channels``
    (mmpose heads: one heatmap per keypoint)."""
    parts = key.split('.')[:-1]
    for attribute in ('num_classes', 'out_channels'):
        for end in range(len(parts), -1, -1):
            name = '.'.join(parts[:end])
            module = model.get_submodule(name)
            if attribute == 'out_channels' and not type(
                    module).__name__.endswith('Head'):
                continue
            if isinstance(getattr(module, attribute, None), int):
                return name, attribute
    return None


def head_mismatch_message(model: nn.Module,
                          state_dict: Dict[str, torch.Tensor]
                          ) -> Optional[str]:
    """Say which of ``model``'s weights ``state_dict`` cannot fill (shape
    mismatch, or no weight of the model at all) and, for heads that differ
    in their class count only, which ``num_classes`` the checkpoint was
    trained with; ``None`` when every shared key fits."""
    own = model.state_dict()
    shared = [k for k in own if k in state_dict]
    if not shared:
        return ('The checkpoint holds none of the model\'s weights (no '
                'parameter name in common): it is not a checkpoint of this '
                'config\'s model.')
    mismatched = [k for k in shared
                  if tuple(state_dict[k].shape) != tuple(own[k].shape)]
    if not mismatched:
        return None
    lines = ['The checkpoint does not fit the model of the config: '
             f'{len(mismatched)} weight(s) differ in shape, and mmengine '
             'would skip them and evaluate untrained layers:']
    lines += [f'  {k}: checkpoint {tuple(state_dict[k].shape)}, model '
              f'{tuple(own[k].shape)}' for k in mismatched[:12]]
    if len(mismatched) > 12:
        lines.append(f'  ... and {len(mismatched) - 12} more')
    heads: Dict[Tuple[str, str], Optional[Set[int]]] = {}
    for key in mismatched:
        owner = _class_attribute(model, key)
        old, new = own[key].shape, state_dict[key].shape
        if owner is None or len(old) != len(new) or old[1:] != new[1:]:
            continue
        num = getattr(model.get_submodule(owner[0]), owner[1])
        counts = _class_counts(old[0], new[0], num)
        heads[owner] = counts if heads.get(owner) is None \
            else heads[owner] & counts
    hints = []
    for (name, attribute), counts in heads.items():
        setting = f'model.{name}.{attribute}' if name else \
            f'model.{attribute}'
        if counts and len(counts) == 1:
            hints.append(f'{setting}={counts.pop()}')
        else:
            hints.append(f'{setting} (to the count the checkpoint was '
                         'trained with)')
    if hints:
        attribute = next(iter(heads))[1]
        count = hints[0].partition('=')[2] or 'N'
        lines.append(
            f'The heads were trained for another number of classes: set '
            f'{attribute} to {count} in the config (or with --cfg-options '
            f'{" ".join(hints)}), and give the data set and the evaluator '
            'the same classes (metainfo.classes).')
    else:
        lines.append('Is it a checkpoint of another architecture or '
                     'variant? Use the config (and --cfg-options) it was '
                     'trained with.')
    return '\n'.join(lines)


class EvaluationChecksHook(Hook):
    """Stop a test run early when it could only evaluate nothing: a
    checkpoint whose weights do not fit the model (heads trained for
    another number of classes: mmengine would only log ``size mismatch``
    and test untrained heads)."""

    priority = 'LOWEST'

    def after_load_checkpoint(self, runner: Runner,
                              checkpoint: dict) -> None:
        state_dict = checkpoint.get('state_dict', checkpoint)
        state_dict = {(k[7:] if k.startswith('module.') else k): v
                      for k, v in state_dict.items() if torch.is_tensor(v)}
        message = head_mismatch_message(_plain_model(runner), state_dict)
        if message is not None:
            raise NothingEvaluatedError(message)


def _empty_test_set_message(cfg: Config) -> Optional[str]:
    """Why the test set is empty, or ``None`` when it has samples."""
    from mmengine.registry import DATASETS, DefaultScope
    dataset_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    dataset_cfg['serialize_data'] = False
    try:
        with DefaultScope.overwrite_default_scope(
                cfg.get('default_scope')):
            dataset = DATASETS.build(dataset_cfg)
    except Exception:  # the data set fails for another reason
        return None
    if len(dataset) > 0:
        return None
    source = getattr(dataset, 'ann_file', '') or getattr(
        dataset, 'data_root', '')
    return (f'The test set is empty: no samples in {source!r}. Check '
            'test_dataloader.dataset (data_root, ann_file, data_prefix, '
            'indices) and that metainfo.classes names the annotated '
            'categories.')


def run_test(runner: Runner) -> dict:
    """``runner.test()`` that fails instead of reporting nothing.

    Raises:
        NothingEvaluatedError: the checkpoint's weights do not fit the
            model (with the ``num_classes`` to set when heads differ), the
            test set is empty, or the evaluator returned no metric.
    """
    runner.register_hook(EvaluationChecksHook())
    try:
        metrics = runner.test()
    except ValueError as err:
        message = _empty_test_set_message(runner.cfg)
        if message is None:
            raise
        raise NothingEvaluatedError(message) from err
    if metrics:
        return metrics
    samples = len(runner.test_dataloader.dataset)
    if not samples:
        raise NothingEvaluatedError(_empty_test_set_message(runner.cfg) or
                                    'The test set is empty.')
    evaluators = ', '.join(
        type(m).__name__ for m in runner.test_evaluator.metrics)
    raise NothingEvaluatedError(
        f'The evaluator ({evaluators}) returned no metric for the '
        f'{samples} test samples: the model predicted nothing it could '
        'score (e.g. no box above the test score threshold). This is what '
        'an untrained model, or a checkpoint trained for other classes, '
        'gives. Check that the checkpoint was trained with this config and '
        'its classes.')


class ShowDirHook(Hook):
    """Draw the test predictions of every image into
    ``<out_dir>/<image name>.png``, for every task.

    The task library's visualiser draws (mmdet and mmseg: ground truth
    beside the prediction, mmpose: the predicted keypoints and boxes,
    mmpretrain: the predicted class); the libraries' own hooks each use
    another folder layout and format. Top-down pose tests one sample per
    person: their predictions (kept without heatmaps, a few hundred bytes
    per person) are gathered per image and drawn into one picture at the
    end of the test. Names are unique within a run: a second image with
    the same name gets ``<name>_1.png``. Samples without an ``img_path``
    are not drawn.
    """

    priority = 'LOW'

    def __init__(self, out_dir: str, scope: str, draw_args: dict,
                 backend_args: Optional[dict] = None) -> None:
        self.out_dir = out_dir
        self.scope = scope
        self.draw_args = draw_args
        self.backend_args = backend_args
        self.written: List[str] = []
        self._persons: Dict[str, List[Any]] = {}
        self._taken: Set[str] = set()

    def before_test(self, runner: Runner) -> None:
        visualizer = runner.visualizer
        method = 'visualize_cls' if self.scope == 'mmpretrain' \
            else 'add_datasample'
        if not hasattr(visualizer, method):
            raise SystemExit(
                f'--show-dir needs the task visualizer of {self.scope} in '
                f'the config (visualizer=dict(type=...)); '
                f'{type(visualizer).__name__} cannot draw predictions.')
        if self.scope == 'mmpose':
            visualizer.set_dataset_meta(runner.test_evaluator.dataset_meta)
        os.makedirs(self.out_dir, exist_ok=True)

    def after_test_iter(self, runner: Runner, batch_idx: int,
                        data_batch: Any = None,
                        outputs: Optional[Sequence[Any]] = None) -> None:
        for sample in outputs or ():
            path = sample.get('img_path')
            if path is None:
                continue
            if self.scope != 'mmpose':
                self._draw(runner, path, sample)
                continue
            from mmpose.structures import PoseDataSample
            person = PoseDataSample(metainfo=sample.metainfo)
            person.pred_instances = sample.pred_instances
            self._persons.setdefault(path, []).append(person)

    def after_test_epoch(self, runner: Runner,
                         metrics: Optional[dict] = None) -> None:
        if not self._persons:
            return
        from mmpose.structures import merge_data_samples
        persons, self._persons = self._persons, {}
        for path, samples in persons.items():
            self._draw(runner, path, merge_data_samples(samples))

    def _out_file(self, path: str) -> str:
        stem = osp.splitext(osp.basename(path))[0]
        name, index = stem, 0
        while name in self._taken:
            index += 1
            name = f'{stem}_{index}'
        self._taken.add(name)
        return osp.join(self.out_dir, f'{name}.png')

    def _draw(self, runner: Runner, path: str, sample: Any) -> None:
        """Draw ``sample`` on the image at ``path`` into a new PNG."""
        import mmcv
        from mmengine import fileio
        image = mmcv.imfrombytes(
            fileio.get(path, backend_args=self.backend_args),
            channel_order='rgb')
        out_file = self._out_file(path)
        name = osp.basename(out_file)
        if self.scope == 'mmpretrain':
            runner.visualizer.visualize_cls(
                image=image, data_sample=sample, out_file=out_file,
                name=name, **self.draw_args)
        else:
            runner.visualizer.add_datasample(
                name, image, data_sample=sample, out_file=out_file,
                **self.draw_args)
        self.written.append(out_file)


def add_show_dir_hook(runner: Runner, show_dir: str) -> ShowDirHook:
    """Write the test predictions as ``<work_dir>/<show_dir>/<image
    name>.png`` (:class:`ShowDirHook`), with the thresholds of the config's
    visualisation hook (``score_thr`` for mmdet, ``kpt_thr`` for mmpose)."""
    cfg = runner.cfg
    scope = cfg.get('default_scope', 'mmdet')
    hook_cfg = (cfg.get('default_hooks') or {}).get('visualization') or {}
    draw_args = {
        'mmdet': dict(pred_score_thr=hook_cfg.get('score_thr', 0.3)),
        'mmpose': dict(draw_gt=False, draw_bbox=True,
                       kpt_thr=hook_cfg.get('kpt_thr', 0.3)),
    }.get(scope, {})
    hook = ShowDirHook(
        osp.abspath(osp.join(runner.work_dir, show_dir)), scope, draw_args,
        hook_cfg.get('backend_args'))
    runner.register_hook(hook)
    return hook


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

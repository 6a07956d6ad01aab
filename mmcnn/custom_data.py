"""Config-time helpers: point a model config at your own data in a few lines.

MMEngine's ``.py`` configs evaluate every base file before the child, so a
child that sets ``data_root = ...`` does not reach the dataloaders a base
built from its own ``data_root``. These helpers run inside the child
config, on the merged base it can see as ``_base_``, and rewrite the
derived keys there; the child's own keys are merged over the result as
usual. ``configs/custom/`` has a child config per task: it names the model
config as its ``_base_``, imports :func:`use_custom_data` after that line
and calls ``use_custom_data(_base_, data_root=..., classes=...,
train=dict(...), val=dict(...))``.

The task follows the base's ``default_scope``: ``mmdet`` (COCO-format
boxes and masks), ``mmseg`` (ADE20K-style image and label-map folders) or
``mmpose`` (COCO-format keypoints, ground-truth boxes at test time unless
a ``bbox_file`` is given). See docs/custom_dataset.md.

``set_resize_ratio(_base_, 0.5)`` (or ``resize_ratio=0.5`` in that
call) trains and tests at a reduced input scale.
"""
import copy
import os.path as osp
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

TASK_SCOPES: Dict[str, str] = {
    'mmdet': 'det',
    'mmseg': 'seg',
    'mmpose': 'pose'
}
SPLITS: Tuple[str, ...] = ('train', 'val', 'test')
# Split keys that name files or folders, per task; every other key of a
# split dict is set on that split's dataset as it is.
PATH_KEYS: Dict[str, Tuple[str, ...]] = {
    'det': ('ann_file', 'img'),
    'seg': ('img', 'seg_map'),
    'pose': ('ann_file', 'img', 'bbox_file'),
}
REQUIRED_KEYS: Dict[str, Tuple[str, ...]] = {
    'det': ('ann_file', 'img'),
    'seg': ('img', 'seg_map'),
    'pose': ('ann_file', 'img'),
}
# ADE20K-style folders: JPEG images, PNG label maps with 0 = other.
SEG_DEFAULTS: Dict[str, Any] = dict(
    type='BaseSegDataset',
    img_suffix='.jpg',
    seg_map_suffix='.png',
    reduce_zero_label=True)
# Pipeline and model keys that hold an input size (a number, a (w, h)
# pair or a list of pairs), scaled by ``set_resize_ratio``.
SIZE_KEYS: Tuple[str, ...] = ('scale', 'scales', 'crop_size', 'img_scale',
                              'input_size', 'heatmap_size')
# Heads whose num_classes is not the number of dataset classes.
_CLASS_AGNOSTIC_HEADS: Tuple[str, ...] = ('rpn_head', )


def config_task(base: Dict[str, Any]) -> str:
    """'det', 'seg' or 'pose' from a config's ``default_scope``."""
    scope = base.get('default_scope')
    if scope not in TASK_SCOPES:
        raise ValueError(
            f'use_custom_data: the base config\'s default_scope is '
            f'{scope!r}; custom data is supported for '
            f'{sorted(TASK_SCOPES)} (detection, segmentation, pose).')
    return TASK_SCOPES[scope]


def use_custom_data(base: Dict[str, Any],
                    data_root: str,
                    train: Dict[str, Any],
                    val: Dict[str, Any],
                    test: Optional[Dict[str, Any]] = None,
                    classes: Optional[Sequence[str]] = None,
                    palette: Optional[Sequence[Sequence[int]]] = None,
                    keypoints: Optional[str] = None,
                    dataset: Optional[Dict[str, Any]] = None,
                    resize_ratio: float = 1.) -> None:
    """Point the dataloaders, evaluators and heads of ``base`` at your data.

    Args:
        base: the child config's ``_base_``; it is updated in place.
        data_root: folder the split paths are relative to.
        train, val, test: one dict per split. Detection and pose:
            ``ann_file`` (COCO JSON) and ``img`` (image folder); pose
            ``val``/``test`` may add ``bbox_file`` (detected boxes,
            COCO results JSON; default: the ground-truth boxes).
            Segmentation: ``img`` and ``seg_map`` folders. Any other key
            is set on that split's dataset. ``test`` defaults to ``val``.
        classes: class names, in the order of the model's outputs
            (detection: the annotation file's category names;
            segmentation: label 1, 2, ... with ``reduce_zero_label``).
            Every ``num_classes`` of the model follows their number.
            Not used for pose.
        palette: optional colour per class for the visualisers.
        keypoints: pose only, an mmpose dataset-info file describing
            another keypoint set than COCO's 17; the head's
            ``out_channels`` follows its number of keypoints.
        dataset: keys set on every split's dataset (e.g. segmentation
            ``img_suffix='.png'``; ``reduce_zero_label=False`` when label
            0 is a class).
        resize_ratio: scale every resize target and crop size of the
            pipelines by this factor (see :func:`set_resize_ratio`).
    """
    task = config_task(base)
    specs = {'train': train, 'val': val, 'test': test or val}
    for split, spec in specs.items():
        _check_spec(task, split, spec)
    for key in ('dataloader', 'evaluator'):
        shared = base.get(f'val_{key}')
        if shared is not None and base.get(f'test_{key}') is shared:
            base[f'test_{key}'] = copy.deepcopy(shared)
    extra = dict(dataset or {})
    if task == 'pose':
        if classes is not None:
            raise ValueError(
                'use_custom_data: pose data has one category and no class '
                'names; describe a different keypoint set with '
                'keypoints=<mmpose dataset-info file>.')
        metainfo = None if keypoints is None else dict(from_file=keypoints)
    else:
        if not classes:
            raise ValueError('use_custom_data: give classes=(name, ...), '
                             'the class names of your data.')
        if keypoints is not None:
            raise ValueError('use_custom_data: keypoints= is for pose '
                             'configs only.')
        metainfo = dict(classes=tuple(classes))
        if palette is not None:
            metainfo['palette'] = [tuple(c) for c in palette]
    base['data_root'] = data_root
    for split, spec in specs.items():
        for ds in _split_datasets(base, split):
            _set_dataset(task, ds, data_root, spec, metainfo, extra)
    for split in ('val', 'test'):
        _set_evaluator(base.get(f'{split}_evaluator'), data_root,
                       specs[split])
    model = base.get('model')
    if task == 'pose':
        if keypoints is not None:
            _set_pose_channels(model, count_keypoints(keypoints))
    else:
        _set_num_classes(model, len(classes))
    if task == 'seg':
        reduce_zero_label = extra.get('reduce_zero_label',
                                      SEG_DEFAULTS['reduce_zero_label'])
        for pipeline in _pipelines(base):
            for transform in _transforms(pipeline):
                if _type_name(transform) == 'LoadAnnotations':
                    transform['reduce_zero_label'] = reduce_zero_label
    if resize_ratio != 1:
        set_resize_ratio(base, resize_ratio)


def set_resize_ratio(base: Dict[str, Any], ratio: float) -> None:
    """Scale every resize target and crop size of ``base`` by ``ratio``.

    Covers the train/val/test pipelines and the top-level ``*_pipeline``
    lists (``scale``, ``scales``, ``crop_size``, ``img_scale``,
    ``input_size``, ``heatmap_size`` of every transform, nested ones
    included), segmentation's ``data_preprocessor.size`` (the model's and
    the top-level one) and slide-test ``crop_size``/``stride``, pose codecs
    (``codec`` and the head's decoder) and the top-level ``crop_size``. 0.5 trains detection at
    667x400 instead of 1333x800. Pose inputs must stay multiples of 32.
    """
    if not 0 < ratio <= 4:
        raise ValueError(f'resize_ratio must be in (0, 4], got {ratio}.')
    task = config_task(base)
    seen = set()
    for pipeline in _pipelines(base):
        for transform in _transforms(pipeline):
            if id(transform) not in seen:
                seen.add(id(transform))
                _scale_keys(transform, ratio)
    model = base.get('model') or {}
    if task == 'seg':
        for preprocessor in (model.get('data_preprocessor'),
                             base.get('data_preprocessor')):
            if isinstance(preprocessor, dict) and preprocessor.get('size'):
                preprocessor['size'] = _scaled(preprocessor['size'], ratio)
        test_cfg = model.get('test_cfg') or {}
        for key in ('crop_size', 'stride'):
            if test_cfg.get(key):
                test_cfg[key] = _scaled(test_cfg[key], ratio)
    if task == 'pose':
        head = model.get('head') or {}
        for codec in (base.get('codec'), head.get('decoder')):
            if isinstance(codec, dict) and id(codec) not in seen:
                seen.add(id(codec))
                _scale_keys(codec, ratio)
        _check_pose_sizes(base)
    if isinstance(base.get('crop_size'), (tuple, list, int)):
        base['crop_size'] = _scaled(base['crop_size'], ratio)


def count_keypoints(dataset_info_file: str) -> int:
    """The number of keypoints an mmpose dataset-info file describes."""
    from mmengine.config import Config
    if not osp.isfile(dataset_info_file):
        raise FileNotFoundError(
            f'use_custom_data: keypoints file {dataset_info_file!r} not '
            'found (paths are relative to where you run the tools).')
    info = Config.fromfile(dataset_info_file).get('dataset_info') or {}
    keypoints = info.get('keypoint_info')
    if not keypoints:
        raise ValueError(f'{dataset_info_file} has no dataset_info.'
                         'keypoint_info.')
    return len(keypoints)


def _check_spec(task: str, split: str, spec: Any) -> None:
    """Raise when a split dict lacks a path key of its task."""
    if not isinstance(spec, dict):
        raise TypeError(f'use_custom_data: {split} must be a dict, got '
                        f'{type(spec).__name__}.')
    missing = [k for k in REQUIRED_KEYS[task] if not spec.get(k)]
    if missing:
        raise ValueError(
            f'use_custom_data: {split} lacks {", ".join(missing)} (a '
            f'{task} split needs {", ".join(REQUIRED_KEYS[task])}).')


def _join(data_root: str, path: str) -> str:
    """``path`` under ``data_root`` unless it is absolute."""
    return path if osp.isabs(path) else osp.join(data_root, path)


def _type_name(cfg: Dict[str, Any]) -> str:
    """A config's ``type`` without its registry scope (``mmdet.Resize``)."""
    name = cfg.get('type')
    return name.split('.')[-1] if isinstance(name, str) else ''


def _split_datasets(base: Dict[str, Any], split: str) -> List[Dict]:
    """The leaf dataset configs of a split's dataloader, unwrapping
    dataset wrappers such as ``RepeatDataset``."""
    loader = base.get(f'{split}_dataloader')
    if not isinstance(loader, dict) or not isinstance(
            loader.get('dataset'), dict):
        raise ValueError(f'use_custom_data: the base config has no '
                         f'{split}_dataloader.dataset to point at your data.')
    leaves, queue = [], [loader['dataset']]
    while queue:
        ds = queue.pop(0)
        if isinstance(ds.get('datasets'), (list, tuple)):
            raise ValueError(
                f'use_custom_data: {split}_dataloader concatenates '
                f'{len(ds["datasets"])} datasets; set them one by one.')
        if isinstance(ds.get('dataset'), dict):
            queue.append(ds['dataset'])
        else:
            leaves.append(ds)
    return leaves


def _set_dataset(task: str, ds: Dict[str, Any], data_root: str,
                 spec: Dict[str, Any], metainfo: Optional[Dict[str, Any]],
                 extra: Dict[str, Any]) -> None:
    """Write one split's paths, metainfo and extra keys into a dataset."""
    ds['data_root'] = data_root
    if task == 'seg':
        if _type_name(ds) != 'BaseSegDataset':
            ds.update(SEG_DEFAULTS)
        ds['data_prefix'] = dict(
            img_path=spec['img'], seg_map_path=spec['seg_map'])
    else:
        ds['ann_file'] = spec['ann_file']
        ds['data_prefix'] = dict(img=spec['img'])
    if task == 'pose' and 'bbox_file' in ds:
        bbox_file = spec.get('bbox_file')
        ds['bbox_file'] = (None if bbox_file is None else _join(
            data_root, bbox_file))
    if metainfo is not None:
        ds['metainfo'] = dict(metainfo)
    ds.update(extra)
    ds.update({k: v for k, v in spec.items() if k not in PATH_KEYS[task]})


def _set_evaluator(evaluator: Any, data_root: str,
                   spec: Dict[str, Any]) -> None:
    """Point every metric that reads an annotation file at the split's."""
    metrics = evaluator if isinstance(evaluator, (list, tuple)) else [
        evaluator
    ]
    for metric in metrics:
        if isinstance(metric, dict) and 'ann_file' in metric:
            metric['ann_file'] = _join(data_root, spec['ann_file'])


def _walk_dicts(cfg: Any, skip: Tuple[str, ...] = ()) -> Iterator[Dict]:
    """Every dict nested in ``cfg`` (itself included), except under the
    keys in ``skip``."""
    if isinstance(cfg, dict):
        yield cfg
        for key, value in cfg.items():
            if key not in skip:
                yield from _walk_dicts(value, skip)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            yield from _walk_dicts(value, skip)


def _set_num_classes(model: Any, num_classes: int) -> None:
    """Set every ``num_classes`` of the model's heads (not the RPN's)."""
    found = 0
    for cfg in _walk_dicts(model, skip=_CLASS_AGNOSTIC_HEADS):
        if 'num_classes' in cfg:
            cfg['num_classes'] = num_classes
            found += 1
    if not found:
        raise ValueError('use_custom_data: the base model sets no '
                         'num_classes to follow the class list.')


def _set_pose_channels(model: Any, num_keypoints: int) -> None:
    """Give the pose head one output channel per keypoint."""
    head = (model or {}).get('head')
    if not isinstance(head, dict) or 'out_channels' not in head:
        raise ValueError('use_custom_data: the base pose model has no '
                         'head.out_channels to follow the keypoints.')
    head['out_channels'] = num_keypoints


def _pipelines(base: Dict[str, Any]) -> List[List]:
    """The pipelines of the dataloaders and the top-level ``*_pipeline``
    lists of a config."""
    found = []
    for split in SPLITS:
        loader = base.get(f'{split}_dataloader')
        for ds in _walk_dicts(loader.get('dataset') if isinstance(
                loader, dict) else None):
            if isinstance(ds.get('pipeline'), (list, tuple)):
                found.append(ds['pipeline'])
    for key, value in base.items():
        if key.endswith('_pipeline') and isinstance(value, (list, tuple)):
            found.append(value)
    return found


def _transforms(pipeline: Sequence[Any]) -> Iterator[Dict]:
    """Every transform of a pipeline, the nested ones of ``RandomChoice``,
    ``TestTimeAug`` and the like included."""
    yield from (cfg for cfg in _walk_dicts(list(pipeline))
                if 'type' in cfg)


def _scaled(value: Any, ratio: float) -> Any:
    """A size (number, pair or list of pairs) times ``ratio``, rounded."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return max(1, int(value * ratio + 0.5))
    if isinstance(value, (list, tuple)):
        return type(value)(_scaled(v, ratio) for v in value)
    return value


def _scale_keys(cfg: Dict[str, Any], ratio: float) -> None:
    """Scale the size keys of one transform or codec config."""
    for key in SIZE_KEYS:
        if key in cfg:
            cfg[key] = _scaled(cfg[key], ratio)


def _check_pose_sizes(base: Dict[str, Any]) -> None:
    """Pose inputs must stay multiples of 32 (the backbone's stride) for
    the heatmap head to keep its output size."""
    codec = base.get('codec')
    if not isinstance(codec, dict):
        head = (base.get('model') or {}).get('head') or {}
        codec = head.get('decoder')
    size = codec.get('input_size') if isinstance(codec, dict) else None
    if size and any(int(s) % 32 for s in size):
        raise ValueError(
            f'resize_ratio gives a pose input of {size[0]}x{size[1]} '
            '(WxH); use a ratio that keeps both multiples of 32 (0.5 for '
            '192x256).')

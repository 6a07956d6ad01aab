"""Your own data in a few config lines (mmcnn.custom_data): the keys a
custom config derives, reduced-scale training, and train + test runs of
tools/train.py and tools/test.py on freshly generated data in a folder
layout unlike data/coco, with nothing on the command line but the config
(and the work dir / checkpoint)."""
import glob
import math
import os.path as osp
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
from mmengine.config import Config

from tools.misc import make_demo_data as demo_tool

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO_ROOT, 'configs')
SHAPES = ('circle', 'square', 'triangle')
SCENES = ('sky', 'grass', 'sand', 'water')

BASES = dict(
    retinanet='det/moganet/retinanet_moganet-xt_fpn_1x_coco.py',
    mask_rcnn='det/moganet/mask-rcnn_moganet-xt_fpn_1x_coco.py',
    cascade='det/moganet/'
    'cascade-mask-rcnn_moganet-s_fpn_4conv1fc-giou_ms-crop-3x_coco.py',
    fpn='seg/moganet/moganet-xt_fpn_8xb4-80k_ade20k-512x512.py',
    upernet='seg/moganet/moganet-t_upernet_8xb2-160k_ade20k-512x512.py',
    pose='pose/moganet/td-hm_moganet-xt_8xb32-210e_coco-256x192.py',
)


def base_path(name: str) -> str:
    """Absolute path of one of the model configs in BASES."""
    return osp.join(CONFIGS, BASES[name])


def det_call(root: str, extra: str = '') -> str:
    """The use_custom_data call for the shapes set (flat layout)."""
    return (f"use_custom_data(_base_, data_root={root!r}, classes={SHAPES},\n"
            "    train=dict(ann_file='train.json', img='images/train/'),\n"
            "    val=dict(ann_file='val.json', img='images/val/')"
            f"{extra})\n")


def seg_call(root: str, extra: str = '') -> str:
    """The use_custom_data call for the scenes set (flat layout)."""
    return (f"use_custom_data(_base_, data_root={root!r}, classes={SCENES},\n"
            "    train=dict(img='train/images', seg_map='train/labels'),\n"
            "    val=dict(img='val/images', seg_map='val/labels')"
            f"{extra})\n")


def pose_call(root: str, extra: str = '') -> str:
    """The use_custom_data call for the figures set (flat layout)."""
    return (f"use_custom_data(_base_, data_root={root!r},\n"
            "    train=dict(ann_file='train.json', img='images/train/'),\n"
            "    val=dict(ann_file='val.json', img='images/val/')"
            f"{extra})\n")


def write_config(path: Path, base: str, body: str) -> str:
    """Write a custom config: _base_, the import, then ``body``."""
    path.write_text(f'_base_ = {base!r}\n'
                    'from mmcnn.custom_data import use_custom_data  # noqa\n'
                    + body)
    return str(path)


def load(tmp_path: Path, base: str, body: str) -> Config:
    """Write a custom config and load it as the tools do."""
    return Config.fromfile(write_config(tmp_path / 'custom.py', base, body))


def datasets(cfg: Config) -> Dict[str, dict]:
    """The dataset config of each split."""
    return {s: cfg[f'{s}_dataloader']['dataset']
            for s in ('train', 'val', 'test')}


def all_values(cfg: Any, key: str) -> List[Any]:
    """Every value of ``key`` anywhere in a nested config."""
    found = []
    if isinstance(cfg, dict):
        for k, v in cfg.items():
            if k == key:
                found.append(v)
            found += all_values(v, key)
    elif isinstance(cfg, (list, tuple)):
        for v in cfg:
            found += all_values(v, key)
    return found


@pytest.mark.parametrize('name', ['retinanet', 'mask_rcnn', 'cascade'])
def test_det_config_derives_every_data_key(tmp_path, name):
    """One call sets each split's data, both evaluators' annotation files
    and every head's num_classes (the three Cascade stages and the mask
    head included, the RPN left class-agnostic); the child's own keys
    still merge over the result."""
    cfg = load(tmp_path, base_path(name), det_call('/d/shapes/') +
               'train_dataloader = dict(batch_size=1)\n'
               'model = dict(backbone=dict(init_cfg=None))\n')
    for split, ds in datasets(cfg).items():
        part = 'train' if split == 'train' else 'val'
        assert ds['data_root'] == '/d/shapes/'
        assert ds['ann_file'] == f'{part}.json'
        assert ds['data_prefix'] == dict(img=f'images/{part}/')
        assert tuple(ds['metainfo']['classes']) == SHAPES
    for split in ('val', 'test'):
        assert cfg[f'{split}_evaluator']['ann_file'] == '/d/shapes/val.json'
    counts = all_values(cfg.model, 'num_classes')
    expected = dict(retinanet=1, mask_rcnn=2, cascade=4)[name]
    assert counts == [3] * expected
    assert 'num_classes' not in cfg.model.get('rpn_head', {})
    assert cfg.train_dataloader.batch_size == 1
    assert cfg.model.backbone.init_cfg is None
    assert cfg.data_root == '/d/shapes/'


def test_seg_config_uses_folders_and_label_maps(tmp_path):
    """ADE-style folders: a class-agnostic BaseSegDataset (ADE20KDataset
    would refuse other class names), label 0 reduced as in ADE20K, and the
    decode and auxiliary heads follow the class list."""
    cfg = load(tmp_path, base_path('upernet'), seg_call('/d/scenes'))
    for split, ds in datasets(cfg).items():
        part = 'train' if split == 'train' else 'val'
        assert ds['type'] == 'BaseSegDataset'
        assert ds['data_prefix'] == dict(
            img_path=f'{part}/images', seg_map_path=f'{part}/labels')
        assert ds['reduce_zero_label'] is True
        assert (ds['img_suffix'], ds['seg_map_suffix']) == ('.jpg', '.png')
        assert tuple(ds['metainfo']['classes']) == SCENES
    assert cfg.model.decode_head.num_classes == 4
    assert cfg.model.auxiliary_head.num_classes == 4


def test_seg_label_zero_as_a_class(tmp_path):
    """``dataset=dict(reduce_zero_label=False)`` reaches every split and
    the LoadAnnotations transforms, which mmseg requires to agree."""
    cfg = load(tmp_path, base_path('fpn'), seg_call(
        '/d', ",\n    dataset=dict(reduce_zero_label=False, "
        "img_suffix='.png')"))
    for ds in datasets(cfg).values():
        assert ds['reduce_zero_label'] is False
        assert ds['img_suffix'] == '.png'
        loads = [t for t in ds['pipeline'] if t['type'] == 'LoadAnnotations']
        assert loads and all(t['reduce_zero_label'] is False for t in loads)


def test_pose_config_ground_truth_or_detected_boxes(tmp_path):
    """Pose tests on ground-truth boxes unless a split names a bbox_file
    (relative to data_root); the evaluators read the split's annotations;
    a keypoint-set file sets the metainfo and the head's channels."""
    cfg = load(tmp_path, base_path('pose'), pose_call('/d/figures/'))
    for split, ds in datasets(cfg).items():
        assert ds['data_root'] == '/d/figures/'
        if split != 'train':
            assert ds['bbox_file'] is None
    assert cfg.test_evaluator.ann_file == '/d/figures/val.json'
    assert cfg.model.head.out_channels == 17

    keypoints = tmp_path / 'five_points.py'
    info = ', '.join(f"{i}: dict(name='k{i}', id={i}, color=[0, 0, 0], "
                     "type='upper', swap='')" for i in range(5))
    keypoints.write_text(
        f"dataset_info = dict(dataset_name='five', keypoint_info={{{info}}}, "
        "skeleton_info={}, joint_weights=[1.] * 5, sigmas=[.05] * 5)\n")
    cfg = load(tmp_path, base_path('pose'), pose_call(
        '/d/figures/', ",\n    test=dict(ann_file='test.json', img='t/', "
        f"bbox_file='dets.json'), keypoints={str(keypoints)!r}"))
    test_set = cfg.test_dataloader.dataset
    assert test_set.bbox_file == '/d/figures/dets.json'
    assert cfg.val_dataloader.dataset.bbox_file is None
    assert cfg.test_evaluator.ann_file == '/d/figures/test.json'
    assert cfg.val_evaluator.ann_file == '/d/figures/val.json'
    assert test_set.metainfo == dict(from_file=str(keypoints))
    assert cfg.model.head.out_channels == 5


@pytest.mark.parametrize('base, call, message', [
    ('pose', det_call('/d'), 'pose data has one category'),
    ('retinanet', pose_call('/d'), 'give classes='),
    ('fpn', det_call('/d'), 'train lacks seg_map'),
    ('retinanet', "use_custom_data(_base_, data_root='/d', classes=('a',), "
     "train=dict(img='x'), val=dict(ann_file='v.json', img='v'))\n",
     'train lacks ann_file'),
])
def test_mistakes_are_named(tmp_path, base, call, message):
    with pytest.raises(ValueError, match=message):
        load(tmp_path, base_path(base), call)


def test_classification_configs_are_refused(tmp_path):
    base = osp.join(CONFIGS, 'cls/moganet/moganet-xt_8xb128_in1k.py')
    with pytest.raises(ValueError, match="default_scope is 'mmpretrain'"):
        load(tmp_path, base, det_call('/d'))


def test_import_before_base_is_the_documented_error(tmp_path):
    """docs/errors.md: an import above ``_base_`` makes mmengine read the
    file as a new-style (read_base) config."""
    path = tmp_path / 'wrong_order.py'
    path.write_text('from mmcnn.custom_data import use_custom_data\n'
                    f'_base_ = {base_path("retinanet")!r}\n' +
                    det_call('/d'))
    with pytest.raises(Exception, match='lazy_import|read_base'):
        Config.fromfile(str(path))


def transform(pipeline: list, name: str) -> dict:
    """The first transform of a type in a pipeline."""
    return next(t for t in pipeline if t['type'] == name)


def test_resize_ratio_scales_det_pipelines(tmp_path):
    """resize_ratio=0.5: 1333x800 becomes 667x400 in training and test,
    and the multi-scale crop pipeline scales every choice and crop."""
    cfg = load(tmp_path, base_path('mask_rcnn'),
               det_call('/d', ', resize_ratio=0.5'))
    for split in ('train', 'val', 'test'):
        pipeline = cfg[f'{split}_dataloader'].dataset.pipeline
        assert tuple(transform(pipeline, 'Resize')['scale']) == (667, 400)
    assert tuple(transform(cfg.test_pipeline, 'Resize')['scale']) == (
        667, 400)

    cfg = load(tmp_path, base_path('cascade'),
               det_call('/d', ', resize_ratio=0.5'))
    choice = transform(cfg.train_dataloader.dataset.pipeline, 'RandomChoice')
    single, cropped = choice['transforms']
    assert [tuple(s) for s in single[0]['scales']][:2] == [(240, 667),
                                                           (256, 667)]
    assert [tuple(s) for s in cropped[0]['scales']] == [(200, 667),
                                                        (250, 667),
                                                        (300, 667)]
    assert tuple(cropped[1]['crop_size']) == (192, 300)


def test_resize_ratio_scales_seg_and_pose(tmp_path):
    cfg = load(tmp_path, base_path('fpn'),
               seg_call('/d', ', resize_ratio=0.25'))
    train = cfg.train_dataloader.dataset.pipeline
    assert tuple(transform(train, 'RandomResize')['scale']) == (512, 128)
    assert tuple(transform(train, 'RandomCrop')['crop_size']) == (128, 128)
    assert tuple(cfg.model.data_preprocessor['size']) == (128, 128)
    assert tuple(cfg.data_preprocessor['size']) == (128, 128)
    assert tuple(cfg.crop_size) == (128, 128)
    test = cfg.test_dataloader.dataset.pipeline
    assert tuple(transform(test, 'Resize')['scale']) == (512, 128)

    cfg = load(tmp_path, base_path('pose'),
               pose_call('/d', ', resize_ratio=0.5'))
    train = cfg.train_dataloader.dataset.pipeline
    assert tuple(transform(train, 'TopdownAffine')['input_size']) == (96,
                                                                     128)
    encoder = transform(train, 'GenerateTarget')['encoder']
    assert tuple(encoder['input_size']) == (96, 128)
    assert tuple(encoder['heatmap_size']) == (24, 32)
    assert tuple(cfg.model.head.decoder['heatmap_size']) == (24, 32)
    assert tuple(cfg.codec['input_size']) == (96, 128)
    with pytest.raises(ValueError, match='multiples of 32'):
        load(tmp_path, base_path('pose'),
             pose_call('/d', ', resize_ratio=0.25'))


def test_set_resize_ratio_alone_on_a_standard_config(tmp_path):
    """The reduced scale of any config, with the data left as it is."""
    path = tmp_path / 'half.py'
    path.write_text(f'_base_ = {base_path("mask_rcnn")!r}\n'
                    'from mmcnn.custom_data import set_resize_ratio  # noqa\n'
                    'set_resize_ratio(_base_, 0.5)\n')
    cfg = Config.fromfile(str(path))
    pipeline = cfg.train_dataloader.dataset.pipeline
    assert tuple(transform(pipeline, 'Resize')['scale']) == (667, 400)
    assert cfg.train_dataloader.dataset.data_root == 'data/coco/'


def test_example_configs_load(tmp_path):
    """configs/custom/ examples: each loads and derives its heads from
    the class list it shows."""
    examples = sorted(glob.glob(osp.join(CONFIGS, 'custom', '*.py')))
    assert len(examples) >= 4
    for path in examples:
        cfg = Config.fromfile(path)
        classes = cfg.train_dataloader.dataset.get('metainfo', {}).get(
            'classes')
        if cfg.default_scope == 'mmpose':
            assert cfg.val_dataloader.dataset.bbox_file is None
            continue
        assert classes, path
        assert set(all_values(cfg.model, 'num_classes')) == {len(classes)}


def test_built_model_follows_the_classes(tmp_path):
    """What the analysis tools count is the model with your heads."""
    from mmcnn.analysis import build_task_model
    cfg = load(tmp_path, base_path('retinanet'), det_call('/d'))
    model = build_task_model(cfg)
    assert model.bbox_head.retina_cls.out_channels == 9 * len(SHAPES)


# --- train and test end to end ------------------------------------------

# pycocotools' AP@[.5:.95] summary line (boxes and masks: 100
# detections, keypoints: 20).
COCO_AP_LINE = re.compile(r'Average Precision  \(AP\) @\[ IoU=0\.50:0\.95 '
                          r'\| area=   all \| maxDets=\s*(?:100|20) \] =\s+'
                          r'(-?\d+\.\d+)')
# Short custom configs: 2 training iterations on tiny images, no
# evaluation during training; untrained RetinaNet scores (below the default
# 0.05 threshold after two iterations) are kept.
SCRATCH = "model = dict(backbone=dict(init_cfg=None))\n"
E2E = dict(
    retinanet=dict(
        base='retinanet', call=det_call, task='det',
        extra=', resize_ratio=0.25',
        rest="model = dict(backbone=dict(init_cfg=None), "
        "test_cfg=dict(score_thr=0.))\n"
        "train_cfg = dict(max_epochs=1, val_begin=2)\n",
        last_iter='Epoch(train) [1][2/2]', checkpoint='epoch_1.pth',
        metrics=['coco/bbox_mAP']),
    mask_rcnn=dict(
        base='mask_rcnn', call=det_call, task='det',
        extra=', resize_ratio=0.25',
        rest=SCRATCH + "train_cfg = dict(max_epochs=1, val_begin=2)\n",
        last_iter='Epoch(train) [1][2/2]', checkpoint='epoch_1.pth',
        metrics=['coco/bbox_mAP', 'coco/segm_mAP']),
    seg=dict(
        base='fpn', call=seg_call, task='seg', extra=', resize_ratio=0.125',
        rest=SCRATCH + "train_cfg = dict(max_iters=2, val_begin=3)\n",
        last_iter='Saving checkpoint at 2 iterations', checkpoint='iter_2.pth',
        metrics=['mIoU']),
    pose=dict(
        base='pose', call=pose_call, task='pose', extra=', resize_ratio=0.5',
        rest=SCRATCH + "train_cfg = dict(max_epochs=2, val_begin=3)\n",
        last_iter='Epoch(train) [2][1/1]', checkpoint='epoch_2.pth',
        metrics=['coco/AP']),
)


def test_flat_layout_holds_the_same_files_elsewhere(tmp_path):
    """make_demo_data --layout flat: the files of the standard layout,
    byte for byte, at the documented places, and nothing else."""
    tool = demo_tool
    coco = tool.make_demo_data(str(tmp_path / 'coco'), num_train=2,
                               num_val=1, verbose=False)
    flat = tool.make_demo_data(str(tmp_path / 'flat'), num_train=2,
                               num_val=1, verbose=False, layout='flat')
    assert flat['det']['train_ann'] == str(tmp_path / 'flat/shapes/train.json')
    assert flat['seg']['val_ann'] == str(tmp_path / 'flat/scenes/val/labels')
    assert flat['pose']['val_det'] == str(
        tmp_path / 'flat/figures/val_boxes.json')
    for task in ('det', 'seg', 'pose'):
        assert set(coco[task]) == set(flat[task])
        moved = 0
        for key in set(coco[task]) - {'root'}:
            old, new = coco[task][key], flat[task][key]
            if osp.isdir(old):
                names = sorted(p.name for p in Path(old).iterdir())
                assert names == sorted(p.name for p in Path(new).iterdir())
                pairs = [(osp.join(old, n), osp.join(new, n)) for n in names]
            else:
                pairs = [(old, new)]
            for a, b in pairs:
                assert Path(a).read_bytes() == Path(b).read_bytes()
                moved += 1
        files = [p for p in Path(flat[task]['root']).rglob('*')
                 if p.is_file()]
        assert len(files) == moved


@pytest.fixture(scope='module')
def flat_data(tmp_path_factory) -> Dict[str, str]:
    """Det/seg/pose demo sets in the ``flat`` layout: 4 train and 2 val
    images each (two training iterations at the configs' batch sizes)."""
    out = tmp_path_factory.mktemp('own_data')
    made = demo_tool.make_demo_data(
        str(out), num_train=4, num_val=2, layout='flat', verbose=False)
    assert not glob.glob(str(out / '*' / 'annotations'))
    return {task: paths['root'] + '/' for task, paths in made.items()}


def run_tool(*args: str) -> str:
    """Run a tools/ script from the repository root; return its log."""
    proc = subprocess.run(
        [sys.executable, *args], cwd=REPO_ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize('name', list(E2E))
def test_train_and_test_on_own_data(tmp_path, flat_data, name):
    """A custom config of at most 10 lines trains two iterations with
    tools/train.py and is evaluated by tools/test.py with the task's real
    evaluator, which prints its metrics."""
    case = E2E[name]
    config = write_config(
        tmp_path / f'{name}_own.py', base_path(case['base']),
        case['call'](flat_data[case['task']], case['extra']) + case['rest'])
    lines = [ln for ln in Path(config).read_text().splitlines() if ln]
    assert len(lines) <= 10, lines
    work_dir = str(tmp_path / 'work')

    log = run_tool('tools/train.py', config, '--work-dir', work_dir)
    losses = [float(v) for v in re.findall(r'\bloss: (\S+)', log)]
    assert losses and all(math.isfinite(v) for v in losses), log[-3000:]
    assert case['last_iter'] in log, log[-3000:]
    checkpoint = osp.join(work_dir, case['checkpoint'])
    assert osp.isfile(checkpoint), sorted(glob.glob(work_dir + '/*'))

    log = run_tool('tools/test.py', config, checkpoint, '--work-dir',
                   work_dir)
    for metric in case['metrics']:
        values = re.findall(rf'{re.escape(metric)}: (-?\d+\.\d+)', log)
        assert values, f'{metric} not printed:\n{log[-3000:]}'
        upper = 100. if metric == 'mIoU' else 1.
        assert 0. <= float(values[-1]) <= upper
    if case['task'] != 'seg':
        assert len(COCO_AP_LINE.findall(log)) >= len(case['metrics'])

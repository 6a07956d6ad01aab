"""End to end: tools/train.py and tools/test.py on real COCO photos, and
learning on the synthetic demo set."""
import glob
import math
import os.path as osp
import re
import subprocess
import sys

import pytest
from mmengine.config import Config

from tools.misc import make_demo_data as demo_data

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DET_CONFIGS = osp.join(REPO_ROOT, 'configs', 'det', 'moganet')
DEMO_CONFIG = osp.join(DET_CONFIGS, 'retinanet_moganet-xt_fpn_20e_demo.py')
# pycocotools' summary line of AP@[.5:.95] for all areas.
COCO_AP_LINE = re.compile(
    r'Average Precision  \(AP\) @\[ IoU=0\.50:0\.95 \| area=   all \| '
    r'maxDets=100 \] = (-?\d+\.\d+)')

SAMPLE_CONFIG = """
_base_ = {base!r}
data_root = {data_root!r}
metainfo = dict(classes=('person', ))
with_mask = {with_mask}
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=with_mask),
    dict(type='Resize', scale=(320, 224), keep_ratio=True),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(320, 224), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=with_mask),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor'))
]
sample_set = dict(data_root=data_root, metainfo=metainfo,
                  ann_file='test_coco.json', data_prefix=dict(img=''))
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(sample_set, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(sample_set, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'test_coco.json')
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=1, val_interval=2)
default_hooks = dict(logger=dict(interval=1))
model = dict(backbone=dict(init_cfg=None), {heads})
"""
# One class. Untrained heads score below the default 0.05 threshold: keep
# every box so that pycocotools has detections to evaluate. Mask R-CNN
# samples fewer proposals to save CPU time.
HEADS = dict(
    retinanet="bbox_head=dict(num_classes=1), test_cfg=dict(score_thr=0.)",
    mask_rcnn="""roi_head=dict(
    bbox_head=dict(num_classes=1), mask_head=dict(num_classes=1)),
train_cfg=dict(
    rpn_proposal=dict(nms_pre=300, max_per_img=100),
    rcnn=dict(sampler=dict(num=64))),
test_cfg=dict(
    rpn=dict(nms_pre=300, max_per_img=100),
    rcnn=dict(score_thr=0., max_per_img=20))""")


def run_tool(*args: str, timeout: int = 900) -> str:
    """Run a tools/ script with this interpreter; return its output."""
    proc = subprocess.run(
        [sys.executable, *args], cwd=REPO_ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return proc.stdout


def logged_metric(output: str, name: str) -> float:
    """The last value of ``coco/<name>`` in an mmengine log."""
    values = re.findall(rf'coco/{name}: (-?\d+\.\d+)', output)
    assert values, f'coco/{name} not in the log:\n{output[-3000:]}'
    return float(values[-1])


def val_maps(log: str) -> list:
    """bbox mAP of every validation in a training log; an evaluation
    without any detection (no mAP logged) counts as 0."""
    maps = []
    for line in re.findall(r'Epoch\(val\) \[\d+\]\[\d+/\d+\].*', log):
        found = re.search(r'coco/bbox_mAP: (\d+\.\d+)', line)
        maps.append(float(found.group(1)) if found else 0.)
    return maps


@pytest.mark.parametrize('config, heads, metrics', [
    ('retinanet_moganet-xt_fpn_1x_coco.py', HEADS['retinanet'], ['bbox']),
    ('mask-rcnn_moganet-xt_fpn_1x_coco.py', HEADS['mask_rcnn'],
     ['bbox', 'segm']),
], ids=['retinanet', 'mask-rcnn'])
def test_train_then_test_on_coco_samples(tmp_path, shared_data, config,
                                         heads, metrics):
    cfg_file = tmp_path / config.replace('_1x_coco', '_sample')
    cfg_file.write_text(SAMPLE_CONFIG.format(
        base=osp.join(DET_CONFIGS, config),
        data_root=osp.join(shared_data, 'coco_sample') + '/',
        with_mask='segm' in metrics, heads=heads))
    work_dir = str(tmp_path / 'work')

    train_log = run_tool('tools/train.py', str(cfg_file), '--work-dir',
                         work_dir)
    losses = [float(v) for v in re.findall(r'\bloss: (\S+)', train_log)]
    assert len(losses) == 2 and all(math.isfinite(v) for v in losses)
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    assert osp.isfile(checkpoint)

    test_log = run_tool('tools/test.py', str(cfg_file), checkpoint,
                        '--work-dir', work_dir)
    summaries = [float(v) for v in COCO_AP_LINE.findall(test_log)]
    assert len(summaries) == len(metrics)
    for metric, summary in zip(metrics, summaries):
        value = logged_metric(test_log, f'{metric}_mAP')
        assert 0. <= value <= 1.
        assert value == pytest.approx(summary, abs=1e-3)


@pytest.mark.slow
def test_demo_config_learns(tmp_path):
    """`make demo` shortened to 12 epochs: bbox mAP on the synthetic val
    set rises clearly from the first to the last evaluation, and
    tools/test.py reproduces the last one and draws the predictions."""
    assert tuple(Config.fromfile(DEMO_CONFIG).metainfo['classes']) == (
        demo_data.DET_CLASSES)

    data_root = demo_data.make_demo_data(
        str(tmp_path / 'demo'), tasks=['det'], verbose=False)['det']['root']
    val_ann = osp.join(data_root, 'annotations', 'instances_val.json')
    work_dir = str(tmp_path / 'work')
    options = [
        '--cfg-options', 'train_cfg.max_epochs=12', 'param_scheduler.1.end=12',
        f'train_dataloader.dataset.data_root={data_root}/',
        f'val_dataloader.dataset.data_root={data_root}/',
        f'test_dataloader.dataset.data_root={data_root}/',
        f'val_evaluator.ann_file={val_ann}',
        f'test_evaluator.ann_file={val_ann}'
    ]
    log = run_tool('tools/train.py', DEMO_CONFIG, '--work-dir', work_dir,
                   *options, timeout=1800)
    maps = val_maps(log)
    assert len(maps) == 3, log[-3000:]
    assert maps[-1] >= 0.2 and maps[-1] >= maps[0] + 0.1, maps

    log = run_tool('tools/test.py', DEMO_CONFIG,
                   osp.join(work_dir, 'epoch_12.pth'), '--work-dir', work_dir,
                   '--show-dir', 'vis', *options)
    assert logged_metric(log, 'bbox_mAP') == pytest.approx(maps[-1])
    assert len(glob.glob(osp.join(work_dir, 'vis', '*.png'))) == 16

"""tools/test.py: a run that evaluates nothing fails and says why, and
``--show-dir`` writes one PNG per test image into one folder for every
task.

Each run is a subprocess of the tool on a demo config, the demo data of
tools/misc/make_demo_data.py (3 validation images, small) and a checkpoint
of the config's own model built here with random weights: no training.
"""
import json
import os
import os.path as osp
import re
import subprocess
import sys
from typing import Dict, List, Sequence

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import nn

from tools.misc.make_demo_data import make_demo_data
from mmcnn.engine.runner_setup import head_mismatch_message

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DET = osp.join(REPO_ROOT, 'configs', 'det', 'moganet',
               'retinanet_moganet-xt_fpn_20e_demo.py')
SEG = osp.join(REPO_ROOT, 'configs', 'seg', 'moganet',
               'moganet-xt_fpn_1xb4-40iter_demo-64x64.py')
POSE = osp.join(REPO_ROOT, 'configs', 'pose', 'moganet',
                'td-hm_moganet-xt_1xb8-10e_demo-96x64.py')
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
NUM_VAL = 3


@pytest.fixture(scope='module')
def demo(tmp_path_factory) -> Dict[str, Dict[str, str]]:
    """Small det, seg and pose demo sets (3 validation images each)."""
    return make_demo_data(
        str(tmp_path_factory.mktemp('demo')), num_train=1, num_val=NUM_VAL,
        img_size=(160, 128), seg_size=(64, 64), verbose=False)


def save_checkpoint(config: str, path: str, init: bool = False,
                    **options) -> str:
    """Save the random weights of ``config``'s model (with ``options``
    merged) as an mmengine-style checkpoint; ``init`` runs the model's
    ``init_weights`` first (RetinaNet's prior-probability head bias)."""
    from mmengine.registry import MODELS
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    init_default_scope(cfg.default_scope)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    if init:
        model.init_weights()
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def run_test_tool(*args: str) -> subprocess.CompletedProcess:
    """tools/test.py with this Python; stdout and stderr together."""
    env = dict(os.environ, OMP_WAIT_POLICY='PASSIVE')
    return subprocess.run(
        [sys.executable, 'tools/test.py', *args], cwd=REPO_ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=600)


def det_options(demo: Dict[str, Dict[str, str]]) -> List[str]:
    root = demo['det']['root']
    return ['--cfg-options', f'test_dataloader.dataset.data_root={root}/',
            f'test_evaluator.ann_file={demo["det"]["val_ann"]}']


def drawn(folder: str) -> List[str]:
    """File names in ``folder``, checking that each is a PNG."""
    names = sorted(os.listdir(folder))
    for name in names:
        with open(osp.join(folder, name), 'rb') as f:
            assert f.read(8) == PNG_MAGIC, name
    return names


def check_show_dir(log: str, work_dir: str, stems: Sequence[str]) -> None:
    """One PNG per image in <work_dir>/vis, no other picture anywhere in
    the work dir, and the folder printed last."""
    vis = osp.join(work_dir, 'vis')
    assert drawn(vis) == sorted(f'{stem}.png' for stem in stems)
    pictures = [osp.join(root, name) for root, _, names in os.walk(work_dir)
                for name in names
                if name.lower().endswith(('.png', '.jpg', '.jpeg'))]
    assert sorted(pictures) == sorted(
        osp.join(vis, f'{stem}.png') for stem in stems)
    assert log.rstrip().splitlines()[-1] == (
        f'Drawn predictions of {len(stems)} images (PNG): {vis}')


def test_head_mismatch_fails_naming_keys_and_num_classes(demo, tmp_path):
    ckpt = save_checkpoint(DET, str(tmp_path / 'one_class.pth'),
                           model=dict(bbox_head=dict(num_classes=1)))
    proc = run_test_tool(DET, ckpt, '--work-dir', str(tmp_path / 'work'),
                         *det_options(demo))
    assert proc.returncode != 0
    out = proc.stdout
    assert 'tools/test.py evaluated nothing.' in out
    # 9 anchors x 1 class in the checkpoint, 9 x 3 in the config's model.
    assert ('bbox_head.retina_cls.weight: checkpoint (9, 128, 3, 3), '
            'model (27, 128, 3, 3)') in out
    assert 'bbox_head.retina_cls.bias: checkpoint (9,), model (27,)' in out
    assert 'set num_classes to 1' in out
    assert '--cfg-options model.bbox_head.num_classes=1' in out
    assert 'Epoch(test)' not in out  # stopped before testing anything


def test_no_prediction_and_empty_test_set_fail(demo, tmp_path):
    # An untrained RetinaNet (prior-probability bias, score 0.01) predicts
    # no box above the 0.05 threshold: CocoMetric returns no metric.
    ckpt = save_checkpoint(DET, str(tmp_path / 'untrained.pth'), init=True)
    work_dir = str(tmp_path / 'work')
    proc = run_test_tool(DET, ckpt, '--work-dir', work_dir,
                         *det_options(demo))
    assert proc.returncode != 0
    assert 'The testing results of the whole dataset is empty' in proc.stdout
    assert (f'The evaluator (CocoMetric) returned no metric for the '
            f'{NUM_VAL} test samples') in proc.stdout

    proc = run_test_tool(DET, ckpt, '--work-dir', work_dir,
                         *det_options(demo),
                         'test_dataloader.dataset.indices=0')
    assert proc.returncode != 0
    assert re.search(r'evaluated nothing\. The test set is empty: no samples '
                     r"in '.*instances_val\.json'", proc.stdout), \
        proc.stdout[-2000:]


def test_show_dir_det(demo, tmp_path):
    # Without init_weights the random head scores many boxes above 0.05.
    ckpt = save_checkpoint(DET, str(tmp_path / 'random.pth'))
    work_dir = str(tmp_path / 'work')
    proc = run_test_tool(DET, ckpt, '--work-dir', work_dir, '--show-dir',
                         'vis', *det_options(demo))
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert 'coco/bbox_mAP:' in proc.stdout
    stems = [osp.splitext(n)[0] for n in os.listdir(demo['det']['val_img'])]
    assert len(stems) == NUM_VAL
    check_show_dir(proc.stdout, work_dir, stems)


def test_show_dir_seg(demo, tmp_path):
    ckpt = save_checkpoint(SEG, str(tmp_path / 'seg.pth'))
    work_dir = str(tmp_path / 'work')
    proc = run_test_tool(
        SEG, ckpt, '--work-dir', work_dir, '--show-dir', 'vis',
        '--cfg-options', f'test_dataloader.dataset.data_root='
        f'{demo["seg"]["root"]}', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False')
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert 'mIoU:' in proc.stdout
    stems = [osp.splitext(n)[0] for n in os.listdir(demo['seg']['val_img'])]
    check_show_dir(proc.stdout, work_dir, stems)


def test_show_dir_pose_draws_each_image_once(demo, tmp_path):
    """Two detected persons per image (two top-down samples) still give
    one picture per image."""
    paths = demo['pose']
    with open(paths['val_det']) as f:
        boxes = json.load(f)
    shifted = [dict(box, bbox=[box['bbox'][0] + 4, *box['bbox'][1:]],
                    score=0.8) for box in boxes]
    bbox_file = tmp_path / 'two_per_image.json'
    bbox_file.write_text(json.dumps(boxes + shifted))
    ckpt = save_checkpoint(POSE, str(tmp_path / 'pose.pth'))
    work_dir = str(tmp_path / 'work')
    proc = run_test_tool(
        POSE, ckpt, '--work-dir', work_dir, '--show-dir', 'vis',
        '--cfg-options',
        f'test_dataloader.dataset.data_root={paths["root"]}/',
        f'test_dataloader.dataset.bbox_file={bbox_file}',
        f'test_evaluator.ann_file={paths["val_ann"]}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False')
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert 'coco/AP:' in proc.stdout
    assert len(boxes) == NUM_VAL
    stems = [osp.splitext(n)[0] for n in os.listdir(paths['val_img'])]
    check_show_dir(proc.stdout, work_dir, stems)


class _TwoStageHeads(nn.Module):
    """mmdet's Mask R-CNN RoI heads under the names a detector uses."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        from mmdet.registry import MODELS
        init_default_scope('mmdet')
        self.roi_head = nn.Module()
        self.roi_head.bbox_head = MODELS.build(dict(
            type='Shared2FCBBoxHead', in_channels=8, fc_out_channels=16,
            roi_feat_size=7, num_classes=num_classes))
        self.roi_head.mask_head = MODELS.build(dict(
            type='FCNMaskHead', num_convs=1, in_channels=8,
            conv_out_channels=8, num_classes=num_classes))


def test_mismatch_message_of_softmax_and_mask_heads():
    """Shared2FCBBoxHead: cls rows = classes + 1 (background), reg rows =
    4 x classes; FCNMaskHead: one mask per class. Every head gets the
    checkpoint's class count (1 and 80 both ways)."""
    for config_classes, trained in ((80, 1), (1, 80)):
        model = _TwoStageHeads(config_classes)
        state = _TwoStageHeads(trained).state_dict()
        message = head_mismatch_message(model, state)
        assert ('roi_head.bbox_head.fc_cls.weight: checkpoint '
                f'({trained + 1}, 16), model ({config_classes + 1}, 16)'
                ) in message
        assert f'set num_classes to {trained} ' in message
        assert (f'model.roi_head.bbox_head.num_classes={trained} '
                f'model.roi_head.mask_head.num_classes={trained}') in message
    assert head_mismatch_message(model, model.state_dict()) is None
    assert 'none of the model' in head_mismatch_message(
        model, {'other.weight': torch.zeros(1)})


def test_mismatch_message_outside_heads():
    """A backbone of another width is not a class-count problem."""
    from mmcnn.models import MogaNet
    model = nn.Module()
    model.backbone = MogaNet(arch='xtiny')
    other = nn.Module()
    other.backbone = MogaNet(arch='tiny')
    message = head_mismatch_message(model, other.state_dict())
    assert ('backbone.patch_embed3.projection.weight: checkpoint '
            '(128, 64, 3, 3), model (96, 64, 3, 3)') in message
    assert '416 weight(s) differ in shape' in message
    assert '... and 404 more' in message
    assert 'num_classes' not in message
    assert 'another architecture or variant' in message

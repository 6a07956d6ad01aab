"""Tests of the synthetic demo data generator (tools/misc/make_demo_data)."""
from __future__ import annotations

import json
import os
import os.path as osp
from pathlib import Path
from typing import Dict, List

import cv2
import numpy as np
import pytest

from _configs import topdown_keypoint_weights
from tools.misc import make_demo_data as mdd

NUM_TRAIN, NUM_VAL = 6, 3


def _generate(out: Path, seed: int = 0) -> Dict[str, Dict[str, str]]:
    """Generate all demo sets with small counts into ``out``."""
    return mdd.make_demo_data(str(out), seed=seed, num_train=NUM_TRAIN,
                              num_val=NUM_VAL, verbose=False)


@pytest.fixture(scope='module')
def demo(tmp_path_factory: pytest.TempPathFactory
         ) -> Dict[str, Dict[str, str]]:
    """Return the paths of demo sets generated once for this module."""
    return _generate(tmp_path_factory.mktemp('demo'))


def _files(root: str) -> List[str]:
    """Return the sorted relative paths of all files under ``root``."""
    return sorted(
        osp.relpath(osp.join(d, f), root)
        for d, _, names in os.walk(root) for f in names)


def _load_json(path: str) -> dict:
    """Load a JSON file."""
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def test_determinism(tmp_path: Path) -> None:
    """Same seed gives identical files; another seed gives other data."""
    _generate(tmp_path / 'a')
    _generate(tmp_path / 'b')
    _generate(tmp_path / 'c', seed=1)
    a, b, c = (str(tmp_path / n) for n in 'abc')
    files = _files(a)
    assert files == _files(b) and len(files) > 0
    for rel in files:
        pa, pb = osp.join(a, rel), osp.join(b, rel)
        if rel.endswith('.json'):
            assert Path(pa).read_bytes() == Path(pb).read_bytes(), rel
        else:
            ia = cv2.imread(pa, cv2.IMREAD_UNCHANGED)
            ib = cv2.imread(pb, cv2.IMREAD_UNCHANGED)
            assert ia is not None and np.array_equal(ia, ib), rel
    for rel in ('coco/annotations/instances_train.json',
                'coco_kpt/annotations/person_keypoints_train.json'):
        assert (Path(a, rel).read_bytes() != Path(c, rel).read_bytes())
    for rel in ('coco/train/000000.jpg',
                'ade/annotations/training/demo_train_000000.png'):
        ia = cv2.imread(osp.join(a, rel), cv2.IMREAD_UNCHANGED)
        ic = cv2.imread(osp.join(c, rel), cv2.IMREAD_UNCHANGED)
        assert not np.array_equal(ia, ic), rel


def test_skip_and_force(tmp_path: Path,
                        capsys: pytest.CaptureFixture) -> None:
    """Existing outputs are skipped unless forced; --force regenerates."""
    kw = dict(tasks=('det', ), num_train=2, num_val=1)
    first = mdd.make_demo_data(str(tmp_path), **kw)
    ann = first['det']['train_ann']
    Path(ann).write_text('{}')
    second = mdd.make_demo_data(str(tmp_path), **kw)
    assert 'skipped' in capsys.readouterr().out
    assert second == first and Path(ann).read_text() == '{}'
    mdd.make_demo_data(str(tmp_path), force=True, **kw)
    assert len(_load_json(ann)['images']) == 2
    assert sorted(os.listdir(tmp_path)) == ['coco']
    with pytest.raises(ValueError):
        mdd.make_demo_data(str(tmp_path), tasks=('cls', ))


def test_coco_instances(demo: Dict[str, Dict[str, str]]) -> None:
    """The instances files are valid COCO with sane boxes and polygons."""
    from pycocotools.coco import COCO
    from pycocotools.mask import area as rle_area
    for split, num in (('train', NUM_TRAIN), ('val', NUM_VAL)):
        coco = COCO(demo['det'][f'{split}_ann'])
        assert sorted(coco.getCatIds()) == [1, 2, 3]
        names = [c['name'] for c in coco.loadCats(coco.getCatIds())]
        assert tuple(names) == mdd.DET_CLASSES
        assert len(coco.getImgIds()) == num
        used = set()
        for img in coco.loadImgs(coco.getImgIds()):
            path = osp.join(demo['det'][f'{split}_img'], img['file_name'])
            assert cv2.imread(path).shape == (img['height'], img['width'], 3)
            anns = coco.loadAnns(coco.getAnnIds(imgIds=img['id']))
            assert 1 <= len(anns) <= 4
            for ann in anns:
                used.add(ann['category_id'])
                x, y, w, h = ann['bbox']
                assert ann['iscrowd'] == 0 and w > 1 and h > 1
                assert x >= 0 and y >= 0
                assert x + w <= img['width'] and y + h <= img['height']
                (poly, ) = ann['segmentation']
                pts = np.array(poly).reshape(-1, 2)
                assert len(poly) % 2 == 0 and len(pts) >= 3
                assert np.allclose(pts.min(0), [x, y], atol=0.02)
                assert np.allclose(pts.max(0), [x + w, y + h], atol=0.02)
                assert ann['area'] > 0.3 * w * h
                mask_area = float(rle_area(coco.annToRLE(ann)))
                assert abs(mask_area - ann['area']) < 0.1 * ann['area']
        if split == 'train':
            assert used == {1, 2, 3}


def test_seg_labels(demo: Dict[str, Dict[str, str]]) -> None:
    """Label PNGs hold values 0..4, at least two classes per image."""
    for split, num in (('train', NUM_TRAIN), ('val', NUM_VAL)):
        img_dir, ann_dir = demo['seg'][f'{split}_img'], demo['seg'][
            f'{split}_ann']
        stems = sorted(f[:-4] for f in os.listdir(img_dir))
        assert len(stems) == num
        assert stems == sorted(f[:-4] for f in os.listdir(ann_dir))
        for stem in stems:
            img = cv2.imread(osp.join(img_dir, stem + '.jpg'))
            seg = cv2.imread(osp.join(ann_dir, stem + '.png'),
                             cv2.IMREAD_UNCHANGED)
            assert seg.dtype == np.uint8 and seg.shape == img.shape[:2]
            values = set(np.unique(seg).tolist())
            assert values <= set(range(len(mdd.SEG_CLASSES) + 1))
            assert len(values - {0}) >= 2


def test_pose_keypoints(demo: Dict[str, Dict[str, str]]) -> None:
    """Keypoint annotations follow the COCO person-keypoints format."""
    for split, num in (('train', NUM_TRAIN), ('val', NUM_VAL)):
        data = _load_json(demo['pose'][f'{split}_ann'])
        (cat, ) = data['categories']
        assert cat['id'] == 1 and cat['name'] == 'person'
        assert tuple(cat['keypoints']) == mdd.COCO_KEYPOINT_NAMES
        assert len(cat['skeleton']) == 19
        sizes = {i['id']: (i['width'], i['height']) for i in data['images']}
        assert len(sizes) == num
        per_image = {i: 0 for i in sizes}
        for ann in data['annotations']:
            per_image[ann['image_id']] += 1
            kpts = np.array(ann['keypoints']).reshape(-1, 3)
            assert kpts.shape == (17, 3)
            assert set(kpts[:, 2].tolist()) <= {0, 1, 2}
            assert ann['num_keypoints'] == int((kpts[:, 2] > 0).sum())
            x, y, w, h = ann['bbox']
            iw, ih = sizes[ann['image_id']]
            assert ann['area'] > 0 and ann['iscrowd'] == 0
            assert x >= 0 and y >= 0 and x + w <= iw and y + h <= ih
            assert (kpts[:, 0] > x).all() and (kpts[:, 0] < x + w).all()
            assert (kpts[:, 1] > y).all() and (kpts[:, 1] < y + h).all()
        assert set(per_image.values()) <= {1, 2}
    dets = _load_json(demo['pose']['val_det'])
    assert len(dets) == len(data['annotations'])
    for det in dets:
        x, y, w, h = det['bbox']
        iw, ih = sizes[det['image_id']]
        assert det['category_id'] == 1 and 0 < det['score'] <= 1
        assert x >= 0 and y >= 0 and x + w <= iw and y + h <= ih


def test_mmdet_dataset(demo: Dict[str, Dict[str, str]]) -> None:
    """mmdet's CocoDataset loads the set; GT boxes score AP 1 in CocoMetric.
    """
    pytest.importorskip('mmdet')
    import torch
    from mmdet.datasets import CocoDataset
    from mmdet.evaluation import CocoMetric
    from mmdet.utils import register_all_modules
    from mmengine.registry import DefaultScope
    register_all_modules(init_default_scope=False)
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
        dict(type='Resize', scale=(160, 128), keep_ratio=True),
        dict(type='PackDetInputs')
    ]
    with DefaultScope.overwrite_default_scope('mmdet'):
        ds = CocoDataset(
            data_root=demo['det']['root'],
            ann_file='annotations/instances_val.json',
            data_prefix=dict(img='val/'),
            metainfo=dict(classes=mdd.DET_CLASSES, palette=mdd.DET_PALETTE),
            pipeline=pipeline,
            test_mode=True)
        assert len(ds) == NUM_VAL
        metric = CocoMetric(ann_file=ds.ann_file, metric='bbox')
        metric.dataset_meta = ds.metainfo
        for i in range(len(ds)):
            num = len(ds.get_data_info(i)['instances'])
            sample = ds[i]
            assert sample['inputs'].shape == (3, 128, 160)
            gt = sample['data_samples'].gt_instances
            assert len(gt) == num and gt.masks.masks.shape[0] == num
            assert gt.bboxes.tensor.shape == (num, 4)
            assert set(gt.labels.tolist()) <= {0, 1, 2}
            scale = torch.tensor(sample['data_samples'].scale_factor * 2)
            pred = dict(bboxes=gt.bboxes.tensor / scale,
                        scores=torch.ones(num), labels=gt.labels)
            metric.process({}, [dict(
                img_id=sample['data_samples'].img_id, pred_instances=pred,
                ori_shape=sample['data_samples'].ori_shape)])
        results = metric.evaluate(len(ds))
    assert results['coco/bbox_mAP'] > 0.99


def test_mmseg_dataset(demo: Dict[str, Dict[str, str]]) -> None:
    """mmseg's BaseSegDataset reads the ADE-style set (reduce_zero_label)."""
    pytest.importorskip('mmseg')
    from mmengine.registry import DefaultScope
    from mmseg.datasets import BaseSegDataset
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='PackSegInputs')
    ]
    with DefaultScope.overwrite_default_scope('mmseg'):
        ds = BaseSegDataset(
            data_root=demo['seg']['root'],
            data_prefix=dict(
                img_path='images/training',
                seg_map_path='annotations/training'),
            img_suffix='.jpg',
            seg_map_suffix='.png',
            reduce_zero_label=True,
            metainfo=dict(classes=mdd.SEG_CLASSES, palette=mdd.SEG_PALETTE),
            pipeline=pipeline)
        assert len(ds) == NUM_TRAIN
        assert ds.metainfo['classes'] == mdd.SEG_CLASSES
        for i in range(len(ds)):
            sample = ds[i]
            assert sample['inputs'].shape == (3, 256, 256)
            seg = sample['data_samples'].gt_sem_seg.data
            assert seg.shape == (1, 256, 256)
            values = set(seg.unique().tolist())
            assert values <= {0, 1, 2, 3, 255}
            assert len(values - {255}) >= 2


def _pose_dataset(root: str, split: str, pipeline: list,
                  **kwargs) -> object:
    """Build mmpose's top-down CocoDataset on a generated split."""
    import mmpose
    from mmpose.datasets import CocoDataset
    # Use mmpose's own COCO metainfo: the default relative path
    # 'configs/_base_/datasets/coco.py' would resolve against the cwd first.
    meta = osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs',
                    '_base_', 'datasets', 'coco.py')
    metainfo = dict(from_file=meta) if osp.isfile(meta) else None
    return CocoDataset(
        data_root=root,
        data_mode='topdown',
        ann_file=f'annotations/person_keypoints_{split}.json',
        data_prefix=dict(img=f'{split}/'),
        metainfo=metainfo,
        pipeline=pipeline,
        **kwargs)


def test_mmpose_dataset(demo: Dict[str, Dict[str, str]]) -> None:
    """mmpose's CocoDataset loads the set; GT keypoints score AP 1."""
    pytest.importorskip('mmpose')
    from mmengine.registry import DefaultScope
    from mmpose.evaluation import CocoMetric
    from mmpose.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    codec = dict(type='MSRAHeatmap', input_size=(192, 256),
                 heatmap_size=(48, 64), sigma=2)
    pipeline = [
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale'),
        dict(type='TopdownAffine', input_size=codec['input_size']),
        dict(type='GenerateTarget', encoder=codec),
        dict(type='PackPoseInputs')
    ]
    root = demo['pose']['root']
    num_anns = len(_load_json(demo['pose']['train_ann'])['annotations'])
    with DefaultScope.overwrite_default_scope('mmpose'):
        ds = _pose_dataset(root, 'train', pipeline)
        assert len(ds) == num_anns
        assert ds.metainfo['num_keypoints'] == 17
        for i in range(len(ds)):
            assert (topdown_keypoint_weights(ds[i]) > 0).all()

        det_ds = _pose_dataset(
            root, 'val', [], bbox_file=demo['pose']['val_det'],
            test_mode=True)
        val_ds = _pose_dataset(root, 'val', [], test_mode=True)
        assert len(det_ds) == len(val_ds) > 0
        metric = CocoMetric(ann_file=val_ds.ann_file, score_mode='bbox',
                            nms_mode='none')
        metric.dataset_meta = val_ds.metainfo
        for i in range(len(val_ds)):
            info = val_ds.get_data_info(i)
            pred = dict(keypoints=info['keypoints'],
                        keypoint_scores=np.ones((1, 17)),
                        bbox_scores=np.ones(1))
            metric.process([], [dict(
                id=info['id'], img_id=info['img_id'], pred_instances=pred,
                gt_instances=dict())])
        results = metric.evaluate(len(val_ds))
    assert results['coco/AP'] > 0.99

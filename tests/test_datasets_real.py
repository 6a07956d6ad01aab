"""The real COCO and ADE20K samples through the libraries' own datasets.

mmdet's and mmpose's ``CocoDataset`` and mmseg's ``ADE20KDataset`` read
``../shared/data`` with their standard training pipelines; what comes out
is checked against the annotation files themselves.
"""
import json
import os.path as osp
from collections import Counter

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import set_random_seed

from _configs import REPO_ROOT, topdown_keypoint_weights


@pytest.fixture(autouse=True)
def _seeded():
    """Fixed random augmentations, so every run sees the same crops."""
    set_random_seed(0)


def _coco(shared_data: str) -> dict:
    with open(osp.join(shared_data, 'coco_sample', 'test_coco.json')) as f:
        return json.load(f)


def _coco_topdown(root: str, **kwargs) -> dict:
    """mmpose's top-down ``CocoDataset`` on the COCO sample's annotations."""
    return dict(
        type='CocoDataset',
        data_root=root,
        data_mode='topdown',
        ann_file='test_coco.json',
        data_prefix=dict(img=''),
        **kwargs)


def test_mmdet_coco_boxes_and_masks(shared_data):
    from mmdet.registry import DATASETS
    init_default_scope('mmdet')
    coco = _coco(shared_data)
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
        dict(type='Resize', scale=(1333, 800), keep_ratio=True),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackDetInputs'),
    ]
    dataset = DATASETS.build(
        dict(
            type='CocoDataset',
            data_root=osp.join(shared_data, 'coco_sample'),
            ann_file='test_coco.json',
            data_prefix=dict(img=''),
            metainfo=dict(classes=('person', )),
            pipeline=pipeline))
    per_image = Counter(a['image_id'] for a in coco['annotations'])
    assert len(dataset) == len(coco['images'])
    for index in range(len(dataset)):
        item = dataset[index]
        sample, inputs = item['data_samples'], item['inputs']
        gt = sample.gt_instances
        assert len(gt) == per_image[sample.img_id]
        assert gt.labels.tolist() == [0] * len(gt)
        assert len(gt.masks) == len(gt)
        height, width = sample.img_shape
        assert inputs.shape == (3, height, width)
        assert max(height, width) <= 1333 and min(height, width) <= 800

        scale_w, scale_h = sample.scale_factor
        expected = []
        anns = [a for a in coco['annotations']
                if a['image_id'] == sample.img_id]
        for x, y, w, h in (a['bbox'] for a in anns):
            x1, y1, x2, y2 = x * scale_w, y * scale_h, (x + w) * scale_w, (
                y + h) * scale_h
            if sample.flip:
                x1, x2 = width - x2, width - x1
            expected.append([x1, y1, x2, y2])
        np.testing.assert_allclose(
            gt.bboxes.tensor.numpy(), np.array(expected), atol=0.5)
        mask_area = gt.masks.to_ndarray().sum(axis=(1, 2))
        box_area = (gt.bboxes.areas.numpy()).clip(min=1)
        assert (mask_area <= box_area * 1.05 + 4).all()
        assert (mask_area > 0).all()


def test_mmseg_ade20k_labels(shared_data):
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    root = osp.join(shared_data, 'ade_sample')
    crop = (256, 256)
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', reduce_zero_label=True),
        dict(
            type='RandomResize',
            scale=(1024, 256),
            ratio_range=(0.5, 2.0),
            keep_ratio=True),
        dict(type='RandomCrop', crop_size=crop, cat_max_ratio=0.75),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PhotoMetricDistortion'),
        dict(type='PackSegInputs'),
    ]
    dataset = DATASETS.build(
        dict(
            type='ADE20KDataset',
            data_root=root,
            data_prefix=dict(img_path='images', seg_map_path='annotations'),
            pipeline=pipeline))
    assert len(dataset) == 3
    assert len(dataset.metainfo['classes']) == 150
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        raw = cv2.imread(info['seg_map_path'], cv2.IMREAD_UNCHANGED)
        reduced = set(np.unique(raw[raw > 0]).astype(int) - 1)
        item = dataset[index]
        labels = item['data_samples'].gt_sem_seg.data
        assert item['inputs'].shape[0] == 3
        assert tuple(item['inputs'].shape[1:]) == tuple(labels.shape[1:])
        assert max(labels.shape[1:]) <= max(crop)
        values = set(labels.unique().tolist())
        assert values - {255} <= reduced
        assert all(0 <= v < 150 for v in values - {255})
        assert values - {255}, 'crop holds no labelled pixel'


def test_mmpose_coco_keypoints(shared_data):
    from mmpose.registry import DATASETS
    init_default_scope('mmpose')
    coco = _coco(shared_data)
    root = osp.join(shared_data, 'coco_sample')
    pipeline = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', '_base_', 'pose',
                 'td-hm_8xb32-210e_coco-256x192.py')).train_pipeline
    dataset = DATASETS.build(_coco_topdown(root, pipeline=pipeline))
    annotated = {a['id']: a for a in coco['annotations']
                 if a['num_keypoints'] > 0}
    assert len(dataset) == len(annotated)
    assert dataset.metainfo['num_keypoints'] == 17
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        ann = annotated[info['id']]
        assert int(info['keypoints_visible'].sum()) == ann['num_keypoints']
        np.testing.assert_allclose(
            info['keypoints'][0],
            np.array(ann['keypoints'], dtype=np.float32).reshape(17, 3)[:, :2])
        weights = topdown_keypoint_weights(dataset[index])
        assert float(weights.sum()) <= ann['num_keypoints']


def test_mmpose_detector_boxes(shared_data):
    from mmpose.registry import DATASETS
    init_default_scope('mmpose')
    root = osp.join(shared_data, 'coco_sample')
    with open(osp.join(root, 'test_coco_det_AP_H_56.json')) as f:
        detections = json.load(f)
    thr = 0.5
    dataset = DATASETS.build(
        _coco_topdown(
            root,
            bbox_file=osp.join(root, 'test_coco_det_AP_H_56.json'),
            filter_cfg=dict(bbox_score_thr=thr),
            test_mode=True,
            pipeline=[]))
    kept = [d for d in detections if d['score'] >= thr]
    assert len(dataset) == len(kept)
    scores = sorted(float(dataset.get_data_info(i)['bbox_score'][0])
                    for i in range(len(dataset)))
    assert scores == pytest.approx(sorted(d['score'] for d in kept))

"""Generate small synthetic demo data sets in the real on-disk formats.

The data is tiny and strongly structured, so that detection, segmentation
and pose models train on a 2-core CPU in minutes and their metrics visibly
rise.  Everything is derived from ``--seed``: the same seed always gives the
same files.

Layout written under ``--out`` (default ``data/demo``)::

    coco/annotations/instances_{train,val}.json      COCO instances
    coco/{train,val}/*.jpg
    coco_kpt/annotations/person_keypoints_{train,val}.json
    coco_kpt/person_detection_results/val_det.json   COCO keypoints
    coco_kpt/{train,val}/*.jpg
    ade/images/{training,validation}/*.jpg           ADE20K style
    ade/annotations/{training,validation}/*.png      (0 = other/ignore)

``--layout flat`` writes the same data in another arrangement, the way
one's own data often lies (see docs/custom_dataset.md)::

    shapes/{train,val}.json, shapes/images/{train,val}/*.jpg    COCO boxes
    figures/{train,val}.json, figures/images/{train,val}/*.jpg  keypoints
    figures/val_boxes.json                                      detections
    scenes/{train,val}/images/*.jpg, scenes/{train,val}/labels/*.png

Usage::

    python tools/misc/make_demo_data.py [--out data/demo] [--seed 0]
        [--tasks det seg pose] [--num-train N] [--num-val N]
        [--img-size W H] [--seg-size W H] [--layout coco|flat] [--force]

A task whose output directory already exists is skipped unless ``--force``
is given.  From Python, call :func:`make_demo_data`.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import os.path as osp
import shutil
import time
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

DET_CLASSES: Tuple[str, ...] = ('circle', 'square', 'triangle')
DET_PALETTE: List[Tuple[int, int, int]] = [(220, 40, 40), (40, 190, 40),
                                           (40, 70, 210)]
SEG_CLASSES: Tuple[str, ...] = ('sky', 'grass', 'sand', 'water')
SEG_PALETTE: List[Tuple[int, int, int]] = [(130, 190, 235), (50, 150, 40),
                                           (215, 185, 120), (20, 70, 150)]
COCO_KEYPOINT_NAMES: Tuple[str, ...] = (
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
    'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
    'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee',
    'right_knee', 'left_ankle', 'right_ankle')
COCO_SKELETON: List[List[int]] = [
    [16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13],
    [6, 7], [6, 8], [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3],
    [2, 4], [3, 5], [4, 6], [5, 7]]

TASKS: Tuple[str, ...] = ('det', 'seg', 'pose')
TASK_DIRS: Dict[str, str] = {'det': 'coco', 'seg': 'ade', 'pose': 'coco_kpt'}
LAYOUTS: Tuple[str, ...] = ('coco', 'flat')
FLAT_TASK_DIRS: Dict[str, str] = {
    'det': 'shapes', 'seg': 'scenes', 'pose': 'figures'}
DEFAULT_COUNTS: Dict[str, Tuple[int, int]] = {
    'det': (48, 16), 'seg': (32, 8), 'pose': (48, 16)}
JPEG_QUALITY = 95

# Fill colours (BGR) of the detection shapes, in DET_CLASSES order.
_DET_BGR = [(40, 40, 220), (40, 190, 40), (210, 70, 40)]
# Disc colour (BGR) of each keypoint.  Left/right twins share a colour so
# that horizontal-flip augmentation stays consistent; the figures face the
# camera, so left joints are always on the image right.
_JOINT_BGR = [(0, 0, 255), (0, 255, 255), (0, 255, 255), (255, 0, 255),
              (255, 0, 255), (255, 128, 0), (255, 128, 0), (0, 255, 0),
              (0, 255, 0), (0, 140, 255), (0, 140, 255), (255, 255, 0),
              (255, 255, 0), (160, 0, 255), (160, 0, 255), (128, 0, 0),
              (128, 0, 0)]
_TASK_SEED = {'det': 1, 'seg': 2, 'pose': 3}
_SPLITS = (('train', 0), ('val', 1))


def _rng(seed: int, task: str, split: int, index: int) -> np.random.Generator:
    """Return the random generator of one image (or stream) of a task."""
    return np.random.default_rng([seed, _TASK_SEED[task], split, index])


def _r2(value: float) -> float:
    """Round a coordinate to two decimals for compact, stable JSON."""
    return round(float(value), 2)


def _write_jpg(path: str, img: np.ndarray) -> None:
    """Write a BGR image as a high-quality JPEG."""
    if not cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
        raise OSError(f'failed to write {path}')


def _write_json(path: str, obj: object) -> None:
    """Write an object as JSON (deterministic byte layout)."""
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(obj, f)


def _smooth_noise(rng: np.random.Generator, w: int, h: int, cell: int,
                  channels: int = 1) -> np.ndarray:
    """Return low-frequency N(0, 1) noise of shape (h, w, channels)."""
    gh, gw = h // cell + 2, w // cell + 2
    grid = rng.standard_normal((gh, gw, channels)).astype(np.float32)
    out = cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
    return out.reshape(h, w, channels)


def _background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """Return a float32 greyish, blotchy background image (h, w, 3)."""
    base = rng.uniform(95, 165) + rng.uniform(-8, 8, size=3)
    img = np.broadcast_to(base, (h, w, 3)).astype(np.float32)
    img = img + 14 * _smooth_noise(rng, w, h, 32, 1)
    img = img + 5 * _smooth_noise(rng, w, h, 32, 3)
    img = img + 8 * rng.standard_normal((h, w, 3)).astype(np.float32)
    return img


def _finish(rng: np.random.Generator, img: np.ndarray,
            sigma: float) -> np.ndarray:
    """Add pixel noise to a float image and convert it to uint8."""
    noise = sigma * rng.standard_normal(img.shape).astype(np.float32)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def _polygon_area(pts: np.ndarray) -> float:
    """Return the area of a simple polygon given as (N, 2) vertices."""
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) -
                           np.dot(y, np.roll(x, 1))))


def _fill_polygon(img: np.ndarray, pts: np.ndarray,
                  color: Sequence[float]) -> None:
    """Fill a sub-pixel accurate anti-aliased polygon into ``img``."""
    poly = np.round(pts * 16).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(img, [poly], tuple(float(c) for c in color),
                 lineType=cv2.LINE_AA, shift=4)


def _boxes_overlap(a: Sequence[float], b: Sequence[float],
                   pad: float) -> bool:
    """Tell whether two (x0, y0, x1, y1) boxes, padded by ``pad``, meet."""
    return not (a[2] + pad <= b[0] or b[2] + pad <= a[0] or
                a[3] + pad <= b[1] or b[3] + pad <= a[1])


def _shape_polygon(rng: np.random.Generator, label: int,
                   size: float) -> np.ndarray:
    """Return the outline (N, 2), centred on 0, of a shape about ``size``."""
    if label == 0:
        t = np.linspace(0, 2 * np.pi, 32, endpoint=False)
        return 0.5 * size * np.stack([np.cos(t), np.sin(t)], axis=1)
    theta = rng.uniform(-np.pi / 9, np.pi / 9)
    if label == 1:
        side = size / (abs(math.cos(theta)) + abs(math.sin(theta)))
        t = theta + np.pi / 4 + np.arange(4) * np.pi / 2
        radius = side / math.sqrt(2)
    else:
        t = theta - np.pi / 2 + np.arange(3) * 2 * np.pi / 3
        radius = size / math.sqrt(3)
    return radius * np.stack([np.cos(t), np.sin(t)], axis=1)


def _det_sample(rng: np.random.Generator, w: int, h: int,
                first_label: int) -> Tuple[np.ndarray, List[dict]]:
    """Draw one detection image; return it and its objects."""
    img = _background(rng, w, h)
    margin = 3.0
    num = int(rng.integers(1, 5))
    objects: List[dict] = []
    max_size = min(120.0, 0.45 * min(w, h))
    for k in range(num):
        label = first_label if k == 0 else int(rng.integers(0, 3))
        for _ in range(50):
            size = rng.uniform(min(40.0, max_size), max_size)
            pts = _shape_polygon(rng, label, size)
            lo, hi = pts.min(axis=0), pts.max(axis=0)
            cx = rng.uniform(margin - lo[0], w - margin - hi[0])
            cy = rng.uniform(margin - lo[1], h - margin - hi[1])
            pts = np.round(pts + [cx, cy], 2)
            box = (*pts.min(axis=0), *pts.max(axis=0))
            if not any(_boxes_overlap(box, o['box'], 4) for o in objects):
                objects.append(dict(label=label, pts=pts, box=box))
                break
    for obj in objects:
        color = np.array(_DET_BGR[obj['label']]) + rng.uniform(-20, 20, 3)
        _fill_polygon(img, obj['pts'], color)
    return _finish(rng, img, 6), objects


def _make_det(root: str, seed: int, counts: Tuple[int, int],
              size: Tuple[int, int]) -> Dict[str, str]:
    """Write the COCO-instances demo set under ``root``; return its paths."""
    w, h = size
    paths = {'root': root}
    os.makedirs(osp.join(root, 'annotations'))
    categories = [dict(id=i + 1, name=n, supercategory='shape')
                  for i, n in enumerate(DET_CLASSES)]
    for (split, split_id), num in zip(_SPLITS, counts):
        img_dir = osp.join(root, split)
        os.makedirs(img_dir)
        images, anns = [], []
        for i in range(num):
            rng = _rng(seed, 'det', split_id, i)
            img, objects = _det_sample(rng, w, h, i % len(DET_CLASSES))
            file_name = f'{i:06d}.jpg'
            _write_jpg(osp.join(img_dir, file_name), img)
            images.append(dict(id=i + 1, file_name=file_name, width=w,
                               height=h))
            for obj in objects:
                x0, y0, x1, y1 = obj['box']
                anns.append(dict(
                    id=len(anns) + 1, image_id=i + 1,
                    category_id=obj['label'] + 1,
                    bbox=[_r2(x0), _r2(y0), _r2(x1 - x0), _r2(y1 - y0)],
                    area=_r2(_polygon_area(obj['pts'])),
                    segmentation=[[_r2(v) for v in obj['pts'].ravel()]],
                    iscrowd=0))
        ann_file = osp.join(root, 'annotations', f'instances_{split}.json')
        _write_json(ann_file, dict(
            info=dict(description='mmcnn synthetic shapes demo'),
            licenses=[], images=images, annotations=anns,
            categories=categories))
        paths[f'{split}_ann'] = ann_file
        paths[f'{split}_img'] = img_dir
    return paths


def _seg_textures(rng: np.random.Generator, w: int,
                  h: int) -> List[np.ndarray]:
    """Return float32 (h, w, 3) textures for 'other' and each SEG_CLASS."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    one = np.ones((h, w, 1), np.float32)
    jit = rng.uniform(-12, 12, size=(5, 3))
    other = (rng.uniform(100, 150) + jit[0]) * one
    other = other + 22 * _smooth_noise(rng, w, h, 6)
    sky = (np.array([235, 190, 130]) + jit[1]) * one
    sky = sky - 25 * (yy / h)[..., None]
    grass = (np.array([40, 150, 50]) + jit[2]) * one
    streaks = cv2.resize(rng.standard_normal((h // 8, w)).astype(
        np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    grass = grass + 30 * streaks[..., None]
    sand = (np.array([120, 185, 215]) + jit[3]) * one
    sand = sand + 18 * rng.standard_normal((h, w, 1)).astype(np.float32)
    period = rng.uniform(9, 14)
    phase = rng.uniform(0, 2 * np.pi)
    waves = np.sin(2 * np.pi * yy / period + 0.03 * xx + phase)
    water = (np.array([150, 70, 20]) + jit[4]) * one
    water = water + 30 * waves[..., None]
    return [other, sky, grass, sand, water]


def _seg_labels(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """Return a (h, w) uint8 label map of warped Voronoi regions."""
    num_classes = len(SEG_CLASSES)
    probs = np.array([0.12] + [0.88 / num_classes] * num_classes)
    while True:
        n = int(rng.integers(4, 9))
        seeds = rng.uniform([0, 0], [w, h], size=(n, 2)).astype(np.float32)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        warp = 0.08 * min(w, h) * _smooth_noise(rng, w, h, 48, 2)
        px = (xx + warp[..., 0])[..., None]
        py = (yy + warp[..., 1])[..., None]
        dist = (px - seeds[:, 0]) ** 2 + (py - seeds[:, 1]) ** 2
        cells = dist.argmin(axis=2)
        for _ in range(20):
            classes = rng.choice(num_classes + 1, size=n, p=probs)
            labels = classes[cells].astype(np.uint8)
            if np.count_nonzero(np.unique(labels)) >= 2:
                return labels


def _make_seg(root: str, seed: int, counts: Tuple[int, int],
              size: Tuple[int, int]) -> Dict[str, str]:
    """Write the ADE20K-style demo set under ``root``; return its paths."""
    w, h = size
    paths = {'root': root}
    for (split, split_id), num in zip(_SPLITS, counts):
        sub = 'training' if split == 'train' else 'validation'
        img_dir = osp.join(root, 'images', sub)
        ann_dir = osp.join(root, 'annotations', sub)
        os.makedirs(img_dir)
        os.makedirs(ann_dir)
        for i in range(num):
            rng = _rng(seed, 'seg', split_id, i)
            labels = _seg_labels(rng, w, h)
            textures = np.stack(_seg_textures(rng, w, h))
            img = np.take_along_axis(
                textures, labels[None, :, :, None].astype(np.int64),
                axis=0)[0]
            name = f'demo_{split}_{i:06d}'
            _write_jpg(osp.join(img_dir, name + '.jpg'), _finish(rng, img, 4))
            cv2.imwrite(osp.join(ann_dir, name + '.png'), labels)
        paths[f'{split}_img'] = img_dir
        paths[f'{split}_ann'] = ann_dir
    return paths


def _figure_keypoints(rng: np.random.Generator, height: float) -> np.ndarray:
    """Return (17, 2) COCO keypoints of a frontal stick figure at origin."""
    kpts = np.zeros((17, 2))
    kpts[0] = (0, 0.09)
    kpts[1:5] = [(0.035, 0.065), (-0.035, 0.065), (0.065, 0.08),
                 (-0.065, 0.08)]
    kpts[5:7] = [(0.12, 0.2), (-0.12, 0.2)]
    kpts[11:13] = [(0.08, 0.53), (-0.08, 0.53)]
    for side, sign in ((0, 1.0), (1, -1.0)):
        arm = rng.uniform(np.radians(5), np.radians(150))
        fore = arm + rng.uniform(np.radians(-60), np.radians(80))
        leg = rng.uniform(np.radians(-5), np.radians(35))
        shin = leg + rng.uniform(np.radians(-25), np.radians(15))
        for joint, parent, angle, length in (
                (7, 5, arm, 0.17), (9, 7, fore, 0.15),
                (13, 11, leg, 0.23), (15, 13, shin, 0.23)):
            step = (sign * math.sin(angle), math.cos(angle))
            kpts[joint + side] = kpts[parent + side] + length * np.array(step)
    tilt = rng.uniform(np.radians(-10), np.radians(10))
    rot = np.array([[math.cos(tilt), -math.sin(tilt)],
                    [math.sin(tilt), math.cos(tilt)]])
    kpts = (kpts - kpts[11:13].mean(axis=0)) @ rot.T
    return kpts * height


def _figure_extent(kpts: np.ndarray, height: float) -> np.ndarray:
    """Return the (x0, y0, x1, y1) box of everything drawn for a figure."""
    head_c, head_r = kpts[:5].mean(axis=0), 0.085 * height
    pad = max(3.0, height / 50) + 3
    lo = np.minimum(kpts.min(axis=0) - pad, head_c - head_r - 2)
    hi = np.maximum(kpts.max(axis=0) + pad, head_c + head_r + 2)
    return np.concatenate([lo, hi])


def _draw_figure(rng: np.random.Generator, img: np.ndarray, kpts: np.ndarray,
                 height: float) -> None:
    """Draw a stick figure with coloured keypoint discs into ``img``."""
    sh = 4

    def pt(p: np.ndarray) -> Tuple[int, int]:
        return int(round(p[0] * 16)), int(round(p[1] * 16))

    head_c = kpts[:5].mean(axis=0)
    skin = np.array([150, 180, 225]) + rng.uniform(-20, 20, 3)
    cv2.circle(img, pt(head_c), int(round(0.085 * height * 16)),
               tuple(skin.tolist()), -1, cv2.LINE_AA, sh)
    shirt = rng.uniform(40, 200, 3)
    _fill_polygon(img, kpts[[5, 6, 12, 11]], shirt)
    limb = tuple((np.full(3, 225.0) + rng.uniform(-20, 20, 3)).tolist())
    thick = max(2, int(round(height / 70)))
    for a, b in COCO_SKELETON:
        if a > 5 and b > 5:
            cv2.line(img, pt(kpts[a - 1]), pt(kpts[b - 1]), limb, thick,
                     cv2.LINE_AA, sh)
    radius = int(round(max(3.0, height / 50) * 16))
    for p, color in zip(kpts, _JOINT_BGR):
        cv2.circle(img, pt(p), radius, color, -1, cv2.LINE_AA, sh)


def _pose_sample(rng: np.random.Generator, w: int,
                 h: int) -> Tuple[np.ndarray, List[dict]]:
    """Draw one image with 1-2 stick figures; return it and the people."""
    img = _background(rng, w, h)
    people: List[dict] = []
    for _ in range(int(rng.integers(1, 3))):
        height = rng.uniform(0.55, 0.9) * h
        while height >= 0.3 * h:
            placed = None
            for _ in range(30):
                kpts = _figure_keypoints(rng, height)
                box = _figure_extent(kpts, height)
                if box[2] - box[0] > w - 4 or box[3] - box[1] > h - 4:
                    continue
                shift = rng.uniform(2 - box[:2], [w - 2, h - 2] - box[2:])
                box = box + np.tile(shift, 2)
                if not any(_boxes_overlap(box, p['box'], 6) for p in people):
                    placed = dict(kpts=kpts + shift, box=box, height=height)
                    break
            if placed is not None:
                people.append(placed)
                break
            height *= 0.85
    for person in people:
        _draw_figure(rng, img, person['kpts'], person['height'])
    return _finish(rng, img, 5), people


def _make_pose(root: str, seed: int, counts: Tuple[int, int],
               size: Tuple[int, int]) -> Dict[str, str]:
    """Write the COCO-keypoints demo set under ``root``; return its paths."""
    w, h = size
    paths = {'root': root}
    os.makedirs(osp.join(root, 'annotations'))
    os.makedirs(osp.join(root, 'person_detection_results'))
    categories = [dict(id=1, name='person', supercategory='person',
                       keypoints=list(COCO_KEYPOINT_NAMES),
                       skeleton=COCO_SKELETON)]
    for (split, split_id), num in zip(_SPLITS, counts):
        img_dir = osp.join(root, split)
        os.makedirs(img_dir)
        images, anns = [], []
        for i in range(num):
            rng = _rng(seed, 'pose', split_id, i)
            img, people = _pose_sample(rng, w, h)
            file_name = f'{i:06d}.jpg'
            _write_jpg(osp.join(img_dir, file_name), img)
            images.append(dict(id=i + 1, file_name=file_name, width=w,
                               height=h))
            for person in people:
                x0, y0, x1, y1 = [_r2(v) for v in person['box']]
                keypoints: List[float] = []
                for x, y in person['kpts']:
                    keypoints += [_r2(x), _r2(y), 2]
                anns.append(dict(
                    id=len(anns) + 1, image_id=i + 1, category_id=1,
                    bbox=[x0, y0, _r2(x1 - x0), _r2(y1 - y0)],
                    area=_r2((x1 - x0) * (y1 - y0)),
                    segmentation=[[x0, y0, x1, y0, x1, y1, x0, y1]],
                    keypoints=keypoints, num_keypoints=17, iscrowd=0))
        ann_file = osp.join(root, 'annotations',
                            f'person_keypoints_{split}.json')
        _write_json(ann_file, dict(
            info=dict(description='mmcnn synthetic stick-figure demo'),
            licenses=[], images=images, annotations=anns,
            categories=categories))
        paths[f'{split}_ann'] = ann_file
        paths[f'{split}_img'] = img_dir
        if split == 'val':
            det_file = osp.join(root, 'person_detection_results',
                                'val_det.json')
            _write_json(det_file, _jitter_detections(
                _rng(seed, 'pose', 2, 0), anns, w, h))
            paths['val_det'] = det_file
    return paths


def _jitter_detections(rng: np.random.Generator, anns: List[dict], w: int,
                       h: int) -> List[dict]:
    """Return bbox-file detections: ground-truth boxes, slightly jittered."""
    dets = []
    for ann in anns:
        x, y, bw, bh = ann['bbox']
        cx = x + bw / 2 + rng.normal(0, 0.03 * bw)
        cy = y + bh / 2 + rng.normal(0, 0.03 * bh)
        bw, bh = bw * math.exp(rng.normal(0, 0.05)), bh * math.exp(
            rng.normal(0, 0.05))
        x0, y0 = max(0.0, cx - bw / 2), max(0.0, cy - bh / 2)
        x1, y1 = min(float(w), cx + bw / 2), min(float(h), cy + bh / 2)
        dets.append(dict(image_id=ann['image_id'], category_id=1,
                         bbox=[_r2(x0), _r2(y0), _r2(x1 - x0), _r2(y1 - y0)],
                         score=round(float(rng.uniform(0.85, 1.0)), 4)))
    return dets


_MAKERS = {'det': _make_det, 'seg': _make_seg, 'pose': _make_pose}


def _flat_paths(task: str, root: str) -> Dict[str, str]:
    """The paths of a task's output in the ``flat`` layout."""
    paths = dict(root=root)
    for split in ('train', 'val'):
        if task == 'seg':
            paths[f'{split}_img'] = osp.join(root, split, 'images')
            paths[f'{split}_ann'] = osp.join(root, split, 'labels')
        else:
            paths[f'{split}_img'] = osp.join(root, 'images', split)
            paths[f'{split}_ann'] = osp.join(root, f'{split}.json')
    if task == 'pose':
        paths['val_det'] = osp.join(root, 'val_boxes.json')
    return paths


def _to_flat_layout(task: str, root: str,
                    paths: Dict[str, str]) -> Dict[str, str]:
    """Move a task's files from the standard to the ``flat`` layout
    (inside ``root``); return the new paths."""
    flat = _flat_paths(task, root)
    for key, target in sorted(flat.items()):
        if key == 'root':
            continue
        os.makedirs(osp.dirname(target), exist_ok=True)
        os.replace(paths[key], target)
        parent = osp.dirname(paths[key])
        while parent != root and not os.listdir(parent):
            os.rmdir(parent)
            parent = osp.dirname(parent)
    return flat


def make_demo_data(out_dir: str = 'data/demo',
                   seed: int = 0,
                   tasks: Sequence[str] = TASKS,
                   num_train: Optional[int] = None,
                   num_val: Optional[int] = None,
                   img_size: Tuple[int, int] = (320, 256),
                   seg_size: Tuple[int, int] = (256, 256),
                   force: bool = False,
                   verbose: bool = True,
                   layout: str = 'coco') -> Dict[str, Dict[str, str]]:
    """Generate the demo sets of ``tasks``; return their paths per task.

    ``num_train``/``num_val`` override every task's default counts;
    ``img_size`` (W, H) is used for det and pose, ``seg_size`` for seg.
    ``layout`` is ``'coco'`` (the standard folders) or ``'flat'`` (see the
    module docstring). Existing task outputs are kept (and their paths
    returned) unless ``force``; each task is built in a temporary
    directory and moved in place when complete.
    """
    unknown = set(tasks) - set(TASKS)
    if unknown:
        raise ValueError(f'unknown tasks {sorted(unknown)}, use {TASKS}')
    if layout not in LAYOUTS:
        raise ValueError(f'unknown layout {layout!r}, use {LAYOUTS}')
    task_dirs = FLAT_TASK_DIRS if layout == 'flat' else TASK_DIRS
    os.makedirs(out_dir, exist_ok=True)
    result: Dict[str, Dict[str, str]] = {}
    for task in TASKS:
        if task not in tasks:
            continue
        root = osp.join(out_dir, task_dirs[task])
        counts = (DEFAULT_COUNTS[task][0] if num_train is None else num_train,
                  DEFAULT_COUNTS[task][1] if num_val is None else num_val)
        size = seg_size if task == 'seg' else img_size
        if osp.isdir(root) and not force:
            result[task] = (_flat_paths(task, root) if layout == 'flat'
                            else _existing_paths(task, root))
            if verbose:
                print(f'[{task}] {root} exists, skipped (use --force)')
            continue
        start = time.perf_counter()
        tmp = osp.join(out_dir, f'.{task_dirs[task]}.tmp')
        shutil.rmtree(tmp, ignore_errors=True)
        paths = _MAKERS[task](tmp, seed, counts, tuple(size))
        if layout == 'flat':
            paths = _to_flat_layout(task, tmp, paths)
        shutil.rmtree(root, ignore_errors=True)
        os.replace(tmp, root)
        result[task] = {k: v.replace(tmp, root, 1) for k, v in paths.items()}
        if verbose:
            print(f'[{task}] wrote {counts[0]} train / {counts[1]} val '
                  f'images of {size[0]}x{size[1]} to {root} '
                  f'in {time.perf_counter() - start:.1f}s')
    return result


def _existing_paths(task: str, root: str) -> Dict[str, str]:
    """Return the standard paths of an already generated task output."""
    if task == 'seg':
        return dict(root=root,
                    train_img=osp.join(root, 'images', 'training'),
                    train_ann=osp.join(root, 'annotations', 'training'),
                    val_img=osp.join(root, 'images', 'validation'),
                    val_ann=osp.join(root, 'annotations', 'validation'))
    prefix = 'instances' if task == 'det' else 'person_keypoints'
    paths = dict(root=root)
    for split in ('train', 'val'):
        paths[f'{split}_ann'] = osp.join(root, 'annotations',
                                         f'{prefix}_{split}.json')
        paths[f'{split}_img'] = osp.join(root, split)
    if task == 'pose':
        paths['val_det'] = osp.join(root, 'person_detection_results',
                                    'val_det.json')
    return paths


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/demo', help='output dir')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument('--tasks', nargs='+', default=list(TASKS),
                        choices=TASKS, help='data sets to generate')
    parser.add_argument('--num-train', type=int, default=None,
                        help='train images per task (default: per task)')
    parser.add_argument('--num-val', type=int, default=None,
                        help='val images per task (default: per task)')
    parser.add_argument('--img-size', type=int, nargs=2, default=[320, 256],
                        metavar=('W', 'H'), help='det/pose image size')
    parser.add_argument('--seg-size', type=int, nargs=2, default=[256, 256],
                        metavar=('W', 'H'), help='seg image size')
    parser.add_argument('--layout', default='coco', choices=LAYOUTS,
                        help='folder layout (default: coco; flat: see '
                        'the module docstring)')
    parser.add_argument('--force', action='store_true',
                        help='regenerate existing outputs')
    return parser.parse_args()


def main() -> None:
    """Run the generator from the command line."""
    args = parse_args()
    make_demo_data(args.out, seed=args.seed, tasks=args.tasks,
                   num_train=args.num_train, num_val=args.num_val,
                   img_size=tuple(args.img_size),
                   seg_size=tuple(args.seg_size), force=args.force,
                   layout=args.layout)


if __name__ == '__main__':
    main()

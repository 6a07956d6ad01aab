"""The depth-wise algorithm trial's share of a multi-scale training run.

    .venv/bin/python benchmarks/dwconv_trial.py \\
        [--config configs/det/moganet/mask-rcnn_moganet-t_fpn_ms-crop-3x_coco.py] \\
        [--iters 100] [--batch 2] [--scale 0.25] [--threads 2] [--seed 0] \\
        [--cache-dir DIR]

Trains the config's detector for ``--iters`` iterations on generated
images whose sizes follow the ms-crop pipeline of the 3x configs (short
side one of 480..800 in steps of 32, long side at most 1333, both times
``--scale``; aspect ratios 1:2..2:1, as after the crop branch) with boxes
and masks, padded to 32 as the data preprocessor does, and prints the
seconds spent in the depth-wise algorithm trials (first iteration and
whole run), their share of the run, and the number of trial keys.
``--cache-dir`` points the persistent choice cache at a folder (default: a
fresh temporary one, so that the run starts cold); run twice with the same
folder to see a warm start.
"""
import argparse
import os
import os.path as osp
import random
import sys
import tempfile
import time
from typing import List, Tuple

import numpy as np
import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

DEFAULT_CONFIG = 'configs/det/moganet/mask-rcnn_moganet-t_fpn_ms-crop-3x_coco.py'
MS_SHORT = list(range(480, 801, 32))


def sample_size(rng: random.Random, scale: float) -> Tuple[int, int]:
    """(H, W) of one resized training image of the ms-crop pipeline."""
    short = rng.choice(MS_SHORT) * scale
    ratio = 2 ** rng.uniform(-1, 1)
    long = min(short * max(ratio, 1 / ratio), 1333 * scale)
    h, w = (short, long) if ratio >= 1 else (long, short)
    return int(round(h)), int(round(w))


def make_batch(rng: random.Random, batch: int, scale: float,
               num_classes: int, with_mask: bool) -> dict:
    """Images and instances (boxes, labels, masks if ``with_mask``) for
    ``model.loss``."""
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    inputs, samples = [], []
    for _ in range(batch):
        h, w = sample_size(rng, scale)
        inputs.append(torch.randint(0, 256, (3, h, w), dtype=torch.uint8))
        boxes, masks = [], []
        for _ in range(3):
            bw, bh = rng.uniform(0.1, 0.5) * w, rng.uniform(0.1, 0.5) * h
            x0, y0 = rng.uniform(0, w - bw), rng.uniform(0, h - bh)
            boxes.append([x0, y0, x0 + bw, y0 + bh])
            mask = torch.zeros(h, w, dtype=torch.uint8)
            mask[int(y0):int(y0 + bh), int(x0):int(x0 + bw)] = 1
            masks.append(mask.numpy())
        instances = InstanceData(
            bboxes=torch.tensor(boxes),
            labels=torch.tensor([rng.randrange(num_classes)
                                 for _ in boxes]))
        if with_mask:
            instances.masks = BitmapMasks(np.stack(masks), h, w)
        sample = DetDataSample(
            metainfo=dict(img_shape=(h, w), ori_shape=(h, w),
                          scale_factor=(1., 1.)))
        sample.gt_instances = instances
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def main(argv: List[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--iters', type=int, default=100)
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--scale', type=float, default=0.25)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cache-dir', default=None)
    args = parser.parse_args(argv)

    cache_dir = args.cache_dir or tempfile.mkdtemp(prefix='dwconv-cache-')
    os.environ['MMCNN_DWCONV_CACHE'] = cache_dir
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    import mmcnn  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmdet.registry import MODELS
    from mmcnn.models.layers import dwconv

    cfg = Config.fromfile(osp.join(ROOT, args.config))
    cfg.model.backbone.init_cfg = None
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    heads = cfg.model.get('roi_head', cfg.model)
    num_classes = heads.bbox_head.num_classes
    with_mask = 'mask_head' in heads
    rng = random.Random(args.seed)

    run_start = time.perf_counter()
    first_trial = first_iter = 0.
    for it in range(args.iters):
        data = model.data_preprocessor(
            make_batch(rng, args.batch, args.scale, num_classes, with_mask), True)
        losses = model.loss(data['inputs'], data['data_samples'])
        loss = sum(v.sum() if isinstance(v, torch.Tensor) else sum(v)
                   for k, v in losses.items() if 'loss' in k)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if it == 0:
            first_trial = dwconv.trial_seconds()
            first_iter = time.perf_counter() - run_start
        if (it + 1) % 10 == 0:
            print(f'iteration {it + 1}: {time.perf_counter() - run_start:.0f}'
                  f' s, trials {dwconv.trial_seconds():.0f} s', flush=True)
    total = time.perf_counter() - run_start
    trial = dwconv.trial_seconds()
    print(f'config: {args.config}')
    print(f'{args.iters} iterations, batch {args.batch}, ms-crop sizes x '
          f'{args.scale}, {args.threads} threads, cache {cache_dir}')
    print(f'first iteration: {first_iter:.1f} s, of which trials '
          f'{first_trial:.1f} s')
    print(f'run: {total:.1f} s, trials {trial:.1f} s '
          f'({100 * trial / total:.1f} %), '
          f'{len(dwconv.algorithm_cache())} trial keys')


if __name__ == '__main__':
    main()

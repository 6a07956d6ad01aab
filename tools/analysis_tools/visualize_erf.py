"""Effective receptive field (ERF) of a backbone's last stage.

    python tools/analysis_tools/visualize_erf.py --arch moganet-tiny \\
        --images DIR --out erf.png [--checkpoint CKPT] [--num-images 50] \\
        [--shape H [W]]

The method of RepLKNet (Ding et al., CVPR 2022; also used by SLaK): every
image is resized to ``--shape``, normalised with the ImageNet statistics
and fed through the backbone in eval mode; the score is the sum over
channels of the (ReLU-ed) centre pixel of the last stage's feature map.
Its gradient with respect to the input, ReLU-ed (``--grad abs`` takes the
absolute value instead) and summed over the colour channels, is averaged
over the images. The map ``log10(x + 1)``, rescaled to [0, 1], is saved as
a heat map (colour bar 0..1), and for each threshold t the smallest centred
square holding more than t of the map's total is printed with its share of
the image area (the "high-contribution area ratio").

A progress bar on stderr counts the images (each is a forward and a
backward pass at ``--shape``; 50 images at 1024x1024 take minutes on a
CPU). Without ``--checkpoint`` the backbone keeps its random
initialisation, whose ERF says little about the trained network: the tool
then warns on stderr and says so in the heat map's title.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.utils import ProgressBar
from torch import nn

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))

from mmcnn.analysis import build_backbone  # noqa: E402
from mmcnn.utils.checkpoint import load_pretrained  # noqa: E402
from tools.analysis_tools.shape_arg import (add_shape_argument,  # noqa
                                             parse_shape)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')
THRESHOLDS = (0.2, 0.3, 0.5, 0.99)
RANDOM_WEIGHTS_WARNING = (
    'WARNING: no --checkpoint given: {arch} keeps its random '
    'initialisation, so this is the ERF of an untrained network, not of '
    'the model the papers show. Pass --checkpoint with trained (official, '
    'backbone or classifier) weights.')


def list_images(folder: str) -> List[str]:
    """Image files under ``folder`` (recursively), sorted."""
    paths = [osp.join(root, name) for root, _, names in os.walk(folder)
             for name in names if name.lower().endswith(IMAGE_EXTENSIONS)]
    if not paths:
        raise SystemExit(f'No images ({", ".join(IMAGE_EXTENSIONS)}) found '
                         f'under {folder!r}.')
    return sorted(paths)


def load_image(path: str, shape: Tuple[int, int]) -> torch.Tensor:
    """A ``(1, 3, H, W)`` bicubic-resized, ImageNet-normalised image."""
    from PIL import Image
    with Image.open(path) as image:
        image = image.convert('RGB').resize((shape[1], shape[0]),
                                            Image.BICUBIC)
        array = np.asarray(image, dtype=np.float32) / 255.
    x = torch.from_numpy(array).permute(2, 0, 1)
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return ((x - mean) / std).unsqueeze(0)


def input_gradient(model: nn.Module, x: torch.Tensor,
                   grad: str = 'relu') -> torch.Tensor:
    """``(H, W)`` contribution of each input pixel to the centre output."""
    x = x.clone().requires_grad_(True)
    feature = model(x)[-1]
    h, w = feature.shape[-2:]
    centre = F.relu(feature[:, :, h // 2, w // 2]).sum()
    (gradient, ) = torch.autograd.grad(centre, x)
    gradient = gradient.abs() if grad == 'abs' else F.relu(gradient)
    return gradient.sum(dim=(0, 1))


def erf_map(model: nn.Module, paths: Sequence[str],
            shape: Tuple[int, int], grad: str = 'relu',
            progress: bool = True) -> np.ndarray:
    """The contribution map averaged over the images (NaN maps skipped),
    with a progress bar on stderr unless ``progress`` is False."""
    total, count = None, 0
    bar = ProgressBar(len(paths), file=sys.stderr) if progress else None
    for path in paths:
        contribution = input_gradient(model, load_image(path, shape), grad)
        if bar is not None:
            bar.update()
        if not torch.isfinite(contribution).all():
            print(f'skipped {path}: non-finite gradient', file=sys.stderr)
            continue
        total = contribution if total is None else total + contribution
        count += 1
    if bar is not None:
        sys.stderr.write('\n')
    if not count:
        raise SystemExit('Every image gave a non-finite gradient.')
    return (total / count).double().numpy()


def normalise(data: np.ndarray) -> np.ndarray:
    """``log10(x + 1)`` rescaled to a maximum of 1."""
    data = np.log10(data + 1)
    peak = data.max()
    return data / peak if peak > 0 else data


def area_ratios(data: np.ndarray,
                thresholds: Sequence[float] = THRESHOLDS
                ) -> List[Tuple[float, int, float]]:
    """For each threshold: (threshold, side, area ratio) of the smallest
    centred square holding more than that share of ``data``'s total."""
    h, w = data.shape
    total = data.sum()
    results = []
    for thresh in thresholds:
        for i in range(1, max(h, w) // 2 + 1):
            window = data[max(h // 2 - i, 0):h // 2 + i + 1,
                          max(w // 2 - i, 0):w // 2 + i + 1]
            if window.sum() > thresh * total or window.size == data.size:
                results.append((thresh, max(window.shape),
                                window.size / data.size))
                break
    return results


def heatmap_figure(data: np.ndarray,
                   title: Optional[str] = None) -> 'matplotlib.figure.Figure':
    """A matplotlib figure of ``data`` (in [0, 1], as :func:`normalise`
    gives it) with a colour bar spanning exactly 0..1."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(6, 6.6 if title else 6.4))
    ax = fig.add_subplot()
    image = ax.imshow(data, cmap='RdYlGn', vmin=0., vmax=1.)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(image, ax=ax, orientation='horizontal', location='top',
                 fraction=0.05, pad=0.02)
    if title:
        fig.suptitle(title)
    return fig


def save_heatmap(data: np.ndarray, out: str,
                 title: Optional[str] = None) -> None:
    """Save ``data`` (in [0, 1]) as a PNG heat map with a 0..1 colour bar."""
    folder = osp.dirname(osp.abspath(out))
    os.makedirs(folder, exist_ok=True)
    heatmap_figure(data, title).savefig(out, bbox_inches='tight')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Visualise a backbone's effective receptive field")
    parser.add_argument('--arch', required=True,
                        help='backbone FAMILY-ARCH, e.g. moganet-tiny')
    parser.add_argument('--checkpoint', help='weights (official, backbone '
                        'or classifier checkpoint); without it the random '
                        'initialisation is used, with a warning')
    parser.add_argument('--images', required=True, help='folder of images')
    parser.add_argument('--out', default='erf.png', help='output PNG')
    parser.add_argument('--num-images', type=int, default=50)
    add_shape_argument(parser, default=[1024])
    parser.add_argument('--grad', choices=('relu', 'abs'), default='relu',
                        help='keep positive gradients (RepLKNet) or their '
                        'absolute values')
    parser.add_argument('--thresholds', type=float, nargs='+',
                        default=list(THRESHOLDS))
    args = parser.parse_args(argv)
    args.shape = parse_shape(parser, args.shape)
    return args


def main(argv: Optional[Sequence[str]] = None
         ) -> List[Tuple[float, int, float]]:
    args = parse_args(argv)
    model = build_backbone(args.arch, out_indices=(-1, ))
    title = None
    if args.checkpoint:
        load_pretrained(model, args.checkpoint,
                        checkpoint_filter=model.convert_checkpoint,
                        prefix='backbone.')
    else:
        print(RANDOM_WEIGHTS_WARNING.format(arch=args.arch), file=sys.stderr)
        title = f'{args.arch}: random weights (no --checkpoint)'
    model.eval().requires_grad_(False)
    paths = list_images(args.images)[:args.num_images]
    data = normalise(erf_map(model, paths, args.shape, args.grad))
    ratios = area_ratios(data, sorted(args.thresholds))
    print(f'ERF of {args.arch} over {len(paths)} images at '
          f'{args.shape[0]}x{args.shape[1]}; high-contribution area ratio:')
    print('threshold  side  area ratio')
    for thresh, side, ratio in ratios:
        print(f'{thresh:<9g}  {side:<4d}  {ratio:.4f}')
    save_heatmap(data, args.out, title)
    print(f'heat map saved to {args.out}')
    return ratios


if __name__ == '__main__':
    main()

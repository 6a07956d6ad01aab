"""tools/analysis_tools/visualize_erf.py on the COCO sample images."""
import math
import re
from pathlib import Path

import numpy as np
import torch

from tools.analysis_tools import visualize_erf as tool


def test_erf_png_and_ratios_for_moganet_tiny(shared_data, tmp_path, capsys):
    out = tmp_path / 'erf' / 'moganet-t.png'
    ratios = tool.main([
        '--arch', 'moganet-tiny', '--images', f'{shared_data}/coco_sample',
        '--out', str(out), '--shape', '256', '--num-images', '2'
    ])
    with open(out, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    printed = re.findall(r'^([0-9.]+)\s+(\d+)\s+([0-9.]+)$',
                         capsys.readouterr().out, re.MULTILINE)
    assert [float(t) for t, _, _ in printed] == [0.2, 0.3, 0.5, 0.99]
    areas = [float(a) for _, _, a in printed]
    sides = [int(s) for _, s, _ in printed]
    assert all(0 < a <= 1 for a in areas)
    assert areas == sorted(areas) and sides == sorted(sides)
    assert areas[0] < areas[-1]
    assert [round(r[2], 4) for r in ratios] == areas


def test_area_ratio_of_a_uniform_map():
    data = np.ones((101, 101))
    (thresh, side, area), = tool.area_ratios(data, [0.5])
    expected = 2 * math.ceil((math.sqrt(0.5) * 101 - 1) / 2) + 1
    assert side == expected and area == expected**2 / 101**2


def test_gradient_only_reaches_the_receptive_field():
    conv = torch.nn.Conv2d(3, 2, 3, padding=1)
    with torch.no_grad():  # a positive centre output: relu passes it
        conv.weight.abs_()
        conv.bias.fill_(0.1)

    def model(x):
        return (conv(x), )

    contribution = tool.input_gradient(model, torch.rand(1, 3, 9, 9), 'abs')
    nonzero = torch.nonzero(contribution).tolist()
    assert nonzero and all(3 <= i <= 5 and 3 <= j <= 5 for i, j in nonzero)
    assert tool.normalise(np.array([[0., 9.]])).tolist() == [[0., 1.]]


def _images(folder: Path, count: int = 2) -> Path:
    from PIL import Image
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)
                        ).save(folder / f'{i}.png')
    return folder


def test_random_weights_warn_and_progress_is_shown(tmp_path, capsys):
    images = _images(tmp_path / 'images')
    args = ['--arch', 'moganet-xt', '--images', str(images), '--shape',
            '64', '--num-images', '2']
    tool.main(args + ['--out', str(tmp_path / 'random.png')])
    err = capsys.readouterr().err
    assert ('WARNING: no --checkpoint given: moganet-xt keeps its random '
            'initialisation') in err
    assert '2/2' in err  # the progress bar reached the last image

    from mmcnn.models import MogaNet
    ckpt = tmp_path / 'moganet-xt.pth'
    torch.save({'state_dict': MogaNet(arch='xtiny').state_dict()}, ckpt)
    tool.main(args + ['--out', str(tmp_path / 'trained.png'),
                      '--checkpoint', str(ckpt)])
    assert 'WARNING' not in capsys.readouterr().err


def test_colour_bar_spans_the_normalised_map():
    data = tool.normalise(np.array([[0., 3.], [9., 99.]]))
    assert data.min() == 0. and data.max() == 1.
    fig = tool.heatmap_figure(data, title='random weights')
    image = fig.axes[0].images[0]
    assert image.get_clim() == (0., 1.)
    colour_bar = image.colorbar
    assert (colour_bar.vmin, colour_bar.vmax) == (0., 1.)
    assert tuple(colour_bar.ax.get_xlim()) == (0., 1.)
    assert fig._suptitle.get_text() == 'random weights'

"""tools/analysis_tools/visualize_erf.py on the COCO sample images."""
import importlib.util
import math
import re
from pathlib import Path
from types import ModuleType

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]


def _load_tool() -> ModuleType:
    path = ROOT / 'tools' / 'analysis_tools' / 'visualize_erf.py'
    spec = importlib.util.spec_from_file_location('visualize_erf', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


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

    def model(x):
        return (conv(x), )

    contribution = tool.input_gradient(model, torch.randn(1, 3, 9, 9), 'abs')
    nonzero = torch.nonzero(contribution).tolist()
    assert nonzero and all(3 <= i <= 5 and 3 <= j <= 5 for i, j in nonzero)
    assert tool.normalise(np.array([[0., 9.]])).tolist() == [[0., 1.]]

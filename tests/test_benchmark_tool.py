"""tools/analysis_tools/benchmark.py with tiny settings (no timing checks)."""
import re
from pathlib import Path

import pytest

from tools.analysis_tools import benchmark as tool

ROOT = Path(__file__).resolve().parents[1]
CLS_CONFIG = ROOT / 'configs' / 'cls' / 'moganet' / 'moganet-xt_8xb128_in1k.py'
TINY = ['--shape', '64', '--rounds', '2', '--iters', '1', '--warmup', '1',
        '--threads', '1']


def table_rows(out: str) -> dict:
    """Table rows by model label."""
    return {line.split()[0]: line.split()[1:] for line in out.splitlines()
            if line and not line.startswith(('torch', 'model', '-',
                                             'ratio'))}


def test_compare_moganet_tiny_with_its_deploy_form(capsys):
    results = tool.main(['--arch', 'MogaNet-T', '--compare',
                         'moganet-t:deploy', *TINY])
    out = capsys.readouterr().out
    rows = table_rows(out)
    assert set(rows) == {'MogaNet-T', 'moganet-t:deploy'}
    params = {label: float(cells[0]) for label, cells in rows.items()}
    assert params['moganet-t:deploy'] < params['MogaNet-T'] == 4.94
    for cells in rows.values():
        gmacs, img_s, gmac_s = float(cells[1]), float(cells[5]), float(
            cells[6])
        assert gmacs > 0 and img_s > 0 and gmac_s == pytest.approx(
            gmacs * img_s, rel=0.05, abs=0.1)
    ratio = re.search(r'^ratio moganet-t:deploy / MogaNet-T: throughput '
                      r'([0-9.]+)x, latency ([0-9.]+)x$', out, re.MULTILINE)
    assert ratio is not None
    throughput, latency = map(float, ratio.groups())
    assert throughput == pytest.approx(1 / latency, rel=0.01)
    assert [len(r.rounds) for r in results] == [2, 2]
    assert results[1].spec.deploy and not results[0].spec.deploy


def test_model_specs():
    spec = tool.parse_spec('moganet-xt:deploy,channels-last')
    assert (spec.source, spec.deploy, spec.channels_last) == (
        'moganet-xt', True, True)
    assert spec.label == 'moganet-xt:deploy,channels_last'
    assert not tool.parse_spec('a/b.py').deploy
    with pytest.raises(ValueError, match='valid options'):
        tool.parse_spec('moganet-xt:fast')
    with pytest.raises(ValueError, match='FAMILY-ARCH'):
        tool.build(tool.parse_spec('resnet-50'), None)
    with pytest.raises(KeyError, match='Valid names'):
        tool.build(tool.parse_spec('moganet-huge'), None)
    with pytest.raises(SystemExit):
        tool.parse_args(['--shape', '64'])


def test_config_model_channels_last(capsys):
    pytest.importorskip('mmpretrain')
    tool.main([str(CLS_CONFIG), '--channels-last', '--batch-size', '2',
               *TINY])
    rows = table_rows(capsys.readouterr().out)
    label = f'{CLS_CONFIG.name}:channels_last'
    assert list(rows) == [label]
    assert float(rows[label][0]) == pytest.approx(2.956, abs=1e-3)
    assert float(rows[label][1]) > 0

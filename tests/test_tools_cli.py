"""Options shared by the analysis and deploy tools: ``--shape`` is H W
(height first, as torch's (N, C, H, W)) in every one of them."""
import importlib
import re
from types import ModuleType
from typing import List

import pytest

# Each tool with the other arguments its parser requires.
TOOLS = {
    'tools/analysis_tools/get_flops.py': ['--arch', 'moganet-xt'],
    'tools/analysis_tools/benchmark.py': ['--arch', 'moganet-xt'],
    'tools/analysis_tools/visualize_erf.py': [
        '--arch', 'moganet-xt', '--images', 'images'],
    'tools/deploy/reparameterize.py': ['moganet-xt', 'in.pth', 'out.pth'],
}


def load_tool(relative: str) -> ModuleType:
    return importlib.import_module(relative[:-len('.py')].replace('/', '.'))


@pytest.fixture(scope='module', params=sorted(TOOLS))
def tool(request) -> tuple:
    return load_tool(request.param), TOOLS[request.param]


def _shape(tool: tuple, values: List[str]):
    module, required = tool
    return module.parse_args(required + ['--shape', *values]).shape


def test_shape_is_height_then_width_in_every_tool(tool, capsys):
    module, required = tool
    assert _shape(tool, ['96', '64']) == (96, 64)
    assert _shape(tool, ['80']) == (80, 80)
    for bad in (['1', '2', '3'], ['0', '64']):
        with pytest.raises(SystemExit):
            _shape(tool, bad)
    capsys.readouterr()
    with pytest.raises(SystemExit):
        module.parse_args(['--help'])
    help_text = ' '.join(capsys.readouterr().out.split())
    assert '--shape H [W]' in help_text
    assert 'input size as H W, height first' in help_text
    assert '"--shape 800 1280" is 800 pixels high and 1280 wide' in \
        help_text


def test_benchmark_runs_at_height_by_width(capsys):
    benchmark = load_tool('tools/analysis_tools/benchmark.py')
    benchmark.main(['--arch', 'moganet-xt', '--shape', '96', '64',
                    '--rounds', '1', '--iters', '1', '--warmup', '0',
                    '--threads', '1', '--no-flops'])
    assert re.search(r'batch 1, input 96x64,', capsys.readouterr().out)


def test_get_flops_help_gives_defaults_height_first(capsys):
    get_flops = load_tool('tools/analysis_tools/get_flops.py')
    with pytest.raises(SystemExit):
        get_flops.parse_args(['--help'])
    help_text = ' '.join(capsys.readouterr().out.split())
    assert '800 1280 for detection' in help_text
    assert '(512 2048 on ADE20K)' in help_text
    assert 'pose (256 192)' in help_text

"""mmcnn's import layers: no import statement runs back up.

From the bottom: ``mmcnn.utils``; ``mmcnn.models.layers``; the backbones
(the rest of ``mmcnn.models``); ``mmcnn.analysis`` and ``mmcnn.engine``,
which reach the backbones only through the registry. Every import
statement of every module (function-level and relative ones included) is
read with :mod:`ast`, without importing anything.
"""
import ast
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / 'mmcnn'

# Package -> (forbidden import prefixes, allowed exceptions to them).
RULES = {
    'mmcnn.utils': (('mmcnn.models', 'mmcnn.analysis', 'mmcnn.engine'), ()),
    'mmcnn.models.layers': (('mmcnn.models', 'mmcnn.analysis',
                             'mmcnn.engine'), ('mmcnn.models.layers', )),
    'mmcnn.models': (('mmcnn.analysis', 'mmcnn.engine'), ()),
    'mmcnn.analysis': (('mmcnn.models', 'mmcnn.engine'),
                       ('mmcnn.models.layers', )),
    'mmcnn.engine': (('mmcnn.models', ), ('mmcnn.models.layers', )),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix('').parts)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join(parts)


def imported_names(source: str, module: str,
                   is_package: bool) -> Iterator[Tuple[int, str]]:
    """``(line, dotted name)`` of everything ``module`` imports; ``from A
    import b`` gives ``A.b`` (a submodule or a name defined in ``A``)."""
    package = module if is_package else module.rpartition('.')[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parts = package.split('.')
                anchor = '.'.join(parts[:len(parts) - node.level + 1])
                base = f'{anchor}.{base}' if base else anchor
            for alias in node.names:
                yield node.lineno, f'{base}.{alias.name}'


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(f'{prefix}.')


def violations(source: str, module: str,
               is_package: bool = False) -> List[str]:
    """The imports of ``module`` that run back up, as ``'line: name'``."""
    rule = max((p for p in RULES if _under(module, p)), key=len,
               default=None)
    if rule is None:
        return []
    forbidden, allowed = RULES[rule]
    return [
        f'{line}: {name}'
        for line, name in imported_names(source, module, is_package)
        if any(_under(name, p) for p in forbidden)
        and not any(_under(name, p) for p in allowed)
        and not _under(name, rule)
    ]


MODULES = sorted(PACKAGE.rglob('*.py'))


@pytest.mark.parametrize('path', MODULES,
                         ids=[str(p.relative_to(ROOT)) for p in MODULES])
def test_no_import_runs_back_up(path):
    found = violations(path.read_text(), module_name(path),
                       path.name == '__init__.py')
    assert not found, f'{path.relative_to(ROOT)} imports upwards: {found}'


@pytest.mark.parametrize('module,source', [
    ('mmcnn.utils.x', 'from mmcnn.analysis import analyze'),
    ('mmcnn.utils.x', 'def f():\n    from ..models import layers'),
    ('mmcnn.analysis.x', 'from mmcnn.models.backbones.base import B'),
    ('mmcnn.analysis.x', 'from mmcnn.models import MogaNet'),
    ('mmcnn.analysis.x', 'import mmcnn.engine.hooks'),
    ('mmcnn.analysis.x', 'from ..engine.hooks import erk_densities'),
    ('mmcnn.engine.hooks.x', 'from ...models.backbones import ConvNeXt'),
    ('mmcnn.engine.x', 'from mmcnn import models'),
    ('mmcnn.models.layers.x', 'from ..backbones.base import B'),
    ('mmcnn.models.backbones.x', 'from mmcnn.analysis import analyze'),
])
def test_checker_catches_upward_imports(module, source):
    assert violations(source, module)


@pytest.mark.parametrize('module,source', [
    ('mmcnn.analysis.x', 'from mmcnn.models.layers.dcnv3 import dcnv3_macs'),
    ('mmcnn.analysis.x', 'from ..models.layers import sparsity'),
    ('mmcnn.analysis.x', 'from .complexity import analyze'),
    ('mmcnn.engine.hooks.x', 'from mmcnn.models.layers import sparsity'),
    ('mmcnn.engine.x', 'from mmcnn.utils import keep_freed_memory'),
    ('mmcnn.models.backbones.x', 'from ...utils import load_pretrained'),
    ('mmcnn.models.backbones.x', 'from ..layers import GRN'),
    ('mmcnn.models.layers.x', 'from .dwconv import DepthwiseConv2d'),
])
def test_checker_allows_downward_imports(module, source):
    assert not violations(source, module)

"""Fixtures of every test, ``tests/`` and ``projects/*/tests`` alike: torch
threads reset before each test, default scopes undone after it, no
per-machine depth-wise choice file, and the real sample data beside the
checkout."""
import os
import os.path as osp

import pytest

# Tests time their own depth-wise trials: no per-machine choice file (the
# persistence test points it at a temporary folder).
os.environ['MMCNN_DWCONV_CACHE'] = 'off'

REPO_ROOT = osp.dirname(osp.abspath(__file__))
SHARED_DATA = osp.join(osp.dirname(REPO_ROOT), 'shared', 'data')


@pytest.fixture(scope='session')
def shared_data() -> str:
    """Path to ../shared/data; skip when the real samples are absent."""
    if not osp.isdir(SHARED_DATA):
        pytest.skip(f'real sample data not found at {SHARED_DATA} '
                    '(CI always has it beside the checkout)')
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _few_threads():
    """Keep each test on the machine's cores without oversubscription."""
    import torch
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    yield


@pytest.fixture(autouse=True)
def _isolate_default_scope():
    """Undo ``init_default_scope`` calls (and Runners' scopes) of a test, so
    the next test resolves registries from its own library."""
    from mmengine.registry import DefaultScope
    saved = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)

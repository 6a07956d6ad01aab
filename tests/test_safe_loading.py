"""One safe loading policy for the whole process after ``import mmcnn``.

Crafted files are built here: a pickle that would run code (it creates a
marker file when unpickled), a forged numpy dtype, storage headers larger
than their records, a record corrupted in place and a deflate bomb. Each is
refused with a :class:`CheckpointError` naming the file and the reason, on
every loading path of the stack, and the marker never appears.
"""
import argparse
import collections
import functools
import http.server
import io
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.runner import CheckpointLoader
from mmengine.runner import checkpoint as mm_checkpoint

import mmcnn  # noqa: F401
from mmcnn.utils.checkpoint import (CheckpointError, extract_state_dict,
                                    load_checkpoint_file)
from mmcnn.utils.checkpoint_reader import ALLOWED_GLOBALS, read_checkpoint

REPO = Path(__file__).resolve().parents[1]


class RunsCode:
    """Unpickling this creates ``marker``: the stand-in for a payload."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker, ))


def payload(tmp_path: Path) -> Path:
    """A checkpoint with valid weights and a code-running object."""
    path = tmp_path / 'payload.pth'
    torch.save({'state_dict': {'w': torch.ones(2)},
                'meta': RunsCode(tmp_path / 'pwned')}, path)
    return path


@pytest.fixture
def http_root(tmp_path):
    """A directory served over HTTP on 127.0.0.1 for the test's duration."""
    root = tmp_path / 'served'
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """Downloads land in a fresh torch hub directory."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    return tmp_path / 'torch_home' / 'hub' / 'checkpoints'


def test_realistic_contents_round_trip(tmp_path):
    """Everything official and mmengine checkpoints hold loads exactly."""
    from mmengine.logging import HistoryBuffer
    history = HistoryBuffer()
    for value in (1.0, 2.5, 4.0):
        history.update(value)
    obj = {
        'state_dict': collections.OrderedDict(
            w=torch.randn(3, 4), i=torch.arange(5), h=torch.randn(2).half(),
            bf=torch.randn(2).bfloat16(), b=torch.ones(2, dtype=torch.bool)),
        'view': torch.randn(10)[2:7], 'transposed': torch.randn(3, 4).t(),
        'param': torch.nn.Parameter(torch.randn(2)),
        'args': argparse.Namespace(lr=0.1, model='moganet_tiny', bits=b'ab'),
        'array': np.arange(6, dtype=np.float32).reshape(2, 3),
        'rng': np.random.get_state(), 'scalar': np.float64(3.5),
        'small': np.int8(-3), 'flags': np.array([True, False]),
        'sets': ({1, 2}, frozenset([3])), 'counts': collections.Counter(a=2),
        'size': torch.Size([2, 3]), 'dtype': torch.float16,
        'message_hub': {'log_scalars': {'train/loss': history}},
        'nested': [[1, (2, 3)], None, 1.5, 10**30, 'text'],
        'module': torch.nn.BatchNorm2d(2).state_dict(),
    }
    path = tmp_path / 'all.pth'
    torch.save(obj, path)
    out = load_checkpoint_file(str(path))
    for key in ('view', 'transposed', 'param', 'size', 'dtype'):
        assert type(out[key]) is type(obj[key])
        assert torch.equal(out[key], obj[key]) if torch.is_tensor(
            obj[key]) else out[key] == obj[key]
    for name, tensor in obj['state_dict'].items():
        assert out['state_dict'][name].dtype == tensor.dtype
        assert torch.equal(out['state_dict'][name], tensor)
    assert vars(out['args']) == vars(obj['args'])
    assert out['array'].dtype == np.float32
    assert (out['array'] == obj['array']).all()
    assert out['rng'][0] == 'MT19937'
    assert (out['rng'][1] == obj['rng'][1]).all()
    assert out['rng'][2:] == obj['rng'][2:]
    assert type(out['scalar']) is np.float64 and out['scalar'] == 3.5
    assert out['small'] == -3 and out['flags'].tolist() == [True, False]
    assert out['sets'] == obj['sets'] and out['counts'] == obj['counts']
    assert out['nested'] == obj['nested']
    assert out['module']._metadata == obj['module']._metadata
    assert set(out['module']) == set(obj['module'])
    restored = out['message_hub']['log_scalars']['train/loss']
    assert type(restored) is HistoryBuffer
    assert restored.mean() == pytest.approx(2.5)
    assert restored.current() == 4.0


def test_code_running_pickle_is_refused_on_every_local_path(tmp_path):
    path = payload(tmp_path)
    for load in (lambda: load_checkpoint_file(str(path)),
                 lambda: CheckpointLoader.load_checkpoint(str(path)),
                 lambda: torch.load(path, weights_only=False),
                 lambda: torch.load(str(path), pickle_module=pickle)):
        with pytest.raises(CheckpointError) as err:
            load()
        assert 'Refused to load' in str(err.value)
        assert 'posix.mkdir' in str(err.value)
        assert 'payload.pth' in str(err.value)
    assert not (tmp_path / 'pwned').exists()


def test_http_payload_never_runs(tmp_path, http_root, hub_cache,
                                 monkeypatch):
    root, base = http_root
    (root / 'evil.pth').write_bytes(payload(tmp_path).read_bytes())
    url = f'{base}/evil.pth'
    mmengine_home = tmp_path / 'mmengine_home'
    mmengine_home.mkdir()
    (mmengine_home / 'open_mmlab.json').write_text(f'{{"evil": "{url}"}}')
    monkeypatch.setenv('MMENGINE_HOME', str(mmengine_home))
    monkeypatch.setattr(mm_checkpoint, 'get_torchvision_models',
                        lambda: {'evil': url})
    monkeypatch.setattr(mm_checkpoint, 'get_mmcls_models',
                        lambda: {'evil': url})
    from mmengine.model import BaseModule
    module = BaseModule(init_cfg=[dict(type='Pretrained', checkpoint=url)])
    paths = {
        'CheckpointLoader': lambda: CheckpointLoader.load_checkpoint(url),
        'torchvision://': lambda: CheckpointLoader.load_checkpoint(
            'torchvision://evil'),
        'open-mmlab://': lambda: CheckpointLoader.load_checkpoint(
            'open-mmlab://evil'),
        'mmcls://': lambda: CheckpointLoader.load_checkpoint('mmcls://evil'),
        'torch.hub': lambda: torch.hub.load_state_dict_from_url(url),
        'load_checkpoint_file': lambda: load_checkpoint_file(url),
        'init_cfg list': module.init_weights,
    }
    for name, load in paths.items():
        with pytest.raises(CheckpointError, match='Refused to load'):
            load()
        assert not (tmp_path / 'pwned').exists(), name
    assert (hub_cache / 'evil.pth').is_file()


def test_http_download_of_good_weights(tmp_path, http_root, hub_cache):
    root, base = http_root
    weights = {'state_dict': {'w': torch.arange(4.0)}}
    torch.save(weights, root / 'good.pth')
    loaded = CheckpointLoader.load_checkpoint(f'{base}/good.pth')
    assert torch.equal(loaded['state_dict']['w'], torch.arange(4.0))
    assert (hub_cache / 'good.pth').is_file()
    with pytest.raises(CheckpointError, match='Cannot download'):
        load_checkpoint_file(f'{base}/missing.pth')


class _Forged:
    """Pickles as ``func(*args)`` followed by BUILD(state) and SETITEMS."""

    def __init__(self, func, args, state=None, items=None) -> None:
        self.parts = (func, args, state, None, items)

    def __reduce__(self):
        return self.parts


def forged_dtype_file(path: Path, assign: bool = False,
                      field: np.dtype = np.dtype(object)) -> None:
    """An 'f8' dtype whose state declares a ``field`` (an object field
    while its flags say 'no objects') and an array of raw bytes in it, with
    an item assignment if ``assign`` (this segfaulted torch's unpickler
    with numpy allow-listed)."""
    dtype = _Forged(np.dtype, ('f8', False, True),
                    (3, '|', None, ('x', ), {'x': (field, 0)}, 8,
                     1, 0))
    array = _Forged(np.core.multiarray._reconstruct,
                    (np.ndarray, (0, ), b'b'),
                    (1, (1, ), dtype, False, b'\x41' * 8),
                    iter([(0, 1)]) if assign else None)
    torch.save({'state_dict': {'w': torch.ones(1)}, 'x': array}, path)


def uninitialised_array_file(path: Path) -> None:
    """``_reconstruct`` of a large shape with no BUILD: raw heap bytes."""
    torch.save({'x': _Forged(np.core.multiarray._reconstruct,
                             (np.ndarray, (1 << 20, ), b'b'))}, path)


class _Storage:
    """Pickles as a persistent storage id claiming ``numel`` floats."""


def oversized_storage_file(path: Path, numel: int, record_floats: int,
                           size: int) -> None:
    """A torch.save-layout zip whose storage header claims ``numel``
    elements over a record of ``record_floats`` floats, and a tensor view
    of ``size`` elements on it."""
    from torch._utils import _rebuild_tensor_v2

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, _Storage):
                return ('storage', torch.FloatStorage, '0', 'cpu', numel)
            return None

    buf = io.BytesIO()
    tensor = _Forged(_rebuild_tensor_v2, (_Storage(), 0, (size, ), (1, ),
                                          False, collections.OrderedDict()))
    Pickler(buf, protocol=2).dump({'state_dict': {'w': tensor}})
    with zipfile.ZipFile(path, 'w') as archive:
        archive.writestr('archive/data.pkl', buf.getvalue())
        archive.writestr('archive/byteorder', 'little')
        archive.writestr('archive/data/0',
                         torch.ones(record_floats).numpy().tobytes())
        archive.writestr('archive/version', '3\n')


def corrupted_record_file(path: Path) -> None:
    """A real checkpoint with one byte of a tensor record changed."""
    torch.save({'state_dict': {'w': torch.zeros(4096)}}, path)
    data = bytearray(path.read_bytes())
    start = data.index(b'\x00' * 1024)
    data[start + 100] = 7
    path.write_bytes(bytes(data))


def deflate_bomb_file(path: Path) -> None:
    """A 16 MiB zero tensor stored deflated (about 16 KiB)."""
    plain = path.with_suffix('.plain')
    torch.save({'state_dict': {'w': torch.zeros(1 << 22)}}, plain)
    with zipfile.ZipFile(plain) as src, \
            zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))


CRAFTED = {
    'forged_dtype': (forged_dtype_file,
                     "numpy dtype 'O8' is not a plain numeric dtype"),
    'forged_dtype_fields': (functools.partial(
        forged_dtype_file, field=np.dtype('f8')), 'not that of a plain'),
    'forged_dtype_assign': (functools.partial(forged_dtype_file, assign=True),
                            'adds items to a ndarray'),
    'uninitialised_array': (uninitialised_array_file,
                            'only loaded as plain ndarrays'),
    'oversized_storage': (functools.partial(
        oversized_storage_file, numel=1 << 20, record_floats=4,
        size=1 << 20), 'claims 1048576'),
    'view_past_storage': (functools.partial(
        oversized_storage_file, numel=4, record_floats=4, size=1000),
        'reaches element 999'),
    'corrupted_record': (corrupted_record_file, 'Bad CRC-32'),
    'deflate_bomb': (deflate_bomb_file, 'more than 64x'),
}


@pytest.mark.parametrize('kind', sorted(CRAFTED))
def test_crafted_files_are_refused_without_a_crash(tmp_path, kind):
    make, reason = CRAFTED[kind]
    path = tmp_path / f'{kind}.pth'
    make(path)
    child = textwrap.dedent(f"""
        import torch
        import mmcnn
        from mmengine.runner import CheckpointLoader
        from mmcnn.models import MogaNet
        from mmcnn.utils.checkpoint import CheckpointError
        path = {str(path)!r}
        model = MogaNet(arch='xtiny', init_cfg=dict(type='Pretrained',
                                                    checkpoint=path))
        for load in (model.init_weights,
                     lambda: CheckpointLoader.load_checkpoint(path),
                     lambda: torch.load(path, weights_only=False)):
            try:
                load()
            except CheckpointError as err:
                print('REFUSED', err)
            else:
                print('LOADED')
        print('ALIVE')
    """)
    proc = subprocess.run([sys.executable, '-c', child], capture_output=True,
                          text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [ln for ln in proc.stdout.splitlines()
             if ln.startswith(('REFUSED', 'LOADED'))]
    assert len(lines) == 3 and proc.stdout.rstrip().endswith('ALIVE')
    for line in lines:
        assert line.startswith('REFUSED'), line
        assert str(path) in line and reason in line, line


def test_weights_only_torch_load_is_not_widened(tmp_path):
    """Other libraries' ``torch.load(weights_only=True)`` still refuse the
    forged numpy file: mmcnn adds nothing to torch's allow-list."""
    path = tmp_path / 'forged.pth'
    forged_dtype_file(path)
    child = textwrap.dedent(f"""
        import pickle, torch
        import torch.distributed.tensor  # registers DTensor's own entries
        import mmengine.runner
        before = set(map(str, torch.serialization.get_safe_globals()))
        import mmcnn, mmcnn.models, mmcnn.engine.runner_setup
        after = set(map(str, torch.serialization.get_safe_globals()))
        print('ADDED', sorted(after - before))
        try:
            torch.load({str(path)!r}, weights_only=True)
        except pickle.UnpicklingError:
            print('REFUSED')
    """)
    proc = subprocess.run([sys.executable, '-c', child], capture_output=True,
                          text=True, cwd=REPO, timeout=300)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'ADDED []' in proc.stdout and 'REFUSED' in proc.stdout


def test_allowed_globals_are_documented():
    doc = (REPO / 'docs' / 'safe_loading.md').read_text()
    for module, name in ALLOWED_GLOBALS:
        assert f'`{module}.{name}`' in doc or (
            name.endswith('Storage') and '`torch.<Type>Storage`' in doc) or (
            isinstance(ALLOWED_GLOBALS[(module, name)], torch.dtype)
            and '`torch.<dtype>`' in doc), f'{module}.{name}'


@pytest.mark.parametrize('content,message', [
    (b'', 'the file is empty'),
    (b'<!DOCTYPE html><html>Not Found</html>', 'not a PyTorch checkpoint'),
    (pickle.dumps({'w': 1}, protocol=2), "legacy (pre-1.6, non-zip)"),
])
def test_non_checkpoints_are_named_for_what_they_are(tmp_path, content,
                                                     message):
    path = tmp_path / 'weights.pth'
    path.write_bytes(content)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint_file(str(path))
    assert message in str(err.value) and str(path) in str(err.value)
    assert 'run code' not in str(err.value)


def test_truncated_file_names_the_file(tmp_path):
    path = tmp_path / 'cut.pth'
    torch.save({'state_dict': {'w': torch.randn(1000)}}, path)
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(CheckpointError, match='truncated or corrupt') as err:
        CheckpointLoader.load_checkpoint(str(path))
    assert str(path) in str(err.value)


def test_getattr_is_limited_to_history_buffer_methods(tmp_path):
    from mmengine.logging import HistoryBuffer
    for target, name in ((argparse.Namespace, '__init__'),
                         (HistoryBuffer, 7), (HistoryBuffer, '__class__')):
        path = tmp_path / 'reach.pth'
        torch.save({'x': _Forged(getattr, (target, name))}, path)
        with pytest.raises(CheckpointError, match='is not loaded'):
            load_checkpoint_file(str(path))


def test_state_dict_with_non_string_keys(tmp_path):
    with pytest.raises(CheckpointError, match='non-string keys'):
        extract_state_dict({'state_dict': {0: torch.ones(1)}})


def test_in_memory_stream(tmp_path):
    buf = io.BytesIO()
    torch.save({'w': torch.ones(3)}, buf)
    buf.seek(0)
    assert torch.equal(read_checkpoint(buf)['w'], torch.ones(3))

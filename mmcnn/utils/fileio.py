"""Atomic writes for mmengine's local file backend.

mmengine writes checkpoints and ``last_checkpoint`` with a plain
``open(path, 'wb')``: a run killed while saving leaves a truncated file in
place of the previous one. mmcnn replaces the backend behind local paths by
one that writes a temporary file in the same folder, syncs it and renames
it over the target, so a kill at any moment leaves either the old or the
new file, never a partial one.

The new file gets the mode a plain ``open`` would give it: that of the file
it replaces, or ``0o666`` less the umask. Temporary files are named
``.<target>.<host>.<pid>.<token>.tmp``; after each successful write the
folder's temporaries left by dead processes of this host (and stray ones
of this process that are not being written) are removed.
"""
import os
import os.path as osp
import re
import secrets
import socket
import stat
import threading
from pathlib import Path
from typing import Set, Union

from mmengine.fileio import LocalBackend, register_backend
from mmengine.fileio import io as mmengine_io

_TEMP_NAME = re.compile(
    r'^\.(?P<target>.+)\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)'
    r'\.(?P<token>[0-9a-f]{8})\.tmp$')
_in_flight: Set[str] = set()
_in_flight_lock = threading.Lock()


def _host_tag() -> str:
    """This machine's name as it appears in temporary file names."""
    return re.sub(r'[^A-Za-z0-9-]', '-', socket.gethostname()) or 'host'


def temp_path_for(filepath: str) -> str:
    """A fresh temporary path beside ``filepath`` naming this process."""
    folder, name = osp.split(osp.abspath(filepath))
    return osp.join(
        folder, f'.{name}.{_host_tag()}.{os.getpid()}.'
        f'{secrets.token_hex(4)}.tmp')


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (zombies count as alive).

    Always True on Windows, where ``os.kill`` would end the process.
    """
    if os.name == 'nt':
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temps(folder: str) -> None:
    """Remove the temporary files in ``folder`` no live writer owns.

    Only temporaries named by this module on this host are considered: a
    dead process's, or this process's when it is not writing them now.
    """
    host, own_pid = _host_tag(), os.getpid()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        if match is None or match['host'] != host:
            continue
        pid = int(match['pid'])
        if pid <= 0:
            continue
        if pid == own_pid:
            with _in_flight_lock:
                if entry.path in _in_flight:
                    continue
        elif _pid_alive(pid):
            continue
        try:
            os.remove(entry.path)
        except OSError:
            pass


def _sync_folder(folder: str) -> None:
    """Make a rename in ``folder`` durable where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(obj: bytes, filepath: Union[str, Path]) -> None:
    """Write ``obj`` to ``filepath`` through a synced, renamed temporary."""
    filepath = osp.abspath(filepath)
    folder = osp.dirname(filepath)
    os.makedirs(folder, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.stat(filepath).st_mode)
    except OSError:
        mode = None
    while True:
        tmp_path = temp_path_for(filepath)
        with _in_flight_lock:
            _in_flight.add(tmp_path)
        try:
            fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                         0o666)
            break
        except FileExistsError:
            with _in_flight_lock:
                _in_flight.discard(tmp_path)
        except BaseException:
            with _in_flight_lock:
                _in_flight.discard(tmp_path)
            raise
    try:
        with os.fdopen(fd, 'wb') as f:
            if mode is not None and hasattr(os, 'fchmod'):
                os.fchmod(f.fileno(), mode)
            f.write(obj)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, filepath)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise
    finally:
        with _in_flight_lock:
            _in_flight.discard(tmp_path)
    _sync_folder(folder)
    remove_stale_temps(folder)


class AtomicLocalBackend(LocalBackend):
    """``LocalBackend`` whose ``put``/``put_text`` replace files atomically."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write_bytes(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), filepath)


def use_atomic_local_writes() -> None:
    """Make mmengine's default backend for local paths write atomically."""
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    for key, backend in list(mmengine_io.backend_instances.items()):
        if type(backend) is LocalBackend:
            del mmengine_io.backend_instances[key]

"""A checkpoint reader that builds only tensors, containers and plain data.

:func:`read_checkpoint` reads the zip format of ``torch.save`` itself
instead of handing the file to ``torch.load``:

* the zip records are checked first: every record's CRC, deflated records
  bounded to :data:`MAX_DEFLATE_RATIO` times their compressed size, and
  each tensor storage's record exactly as long as its header claims, so
  no tensor ever views memory outside the bytes read from the file;
* ``data.pkl`` is unpickled by :class:`SafeUnpickler`, which resolves a
  fixed table of names (:data:`ALLOWED_GLOBALS`) to constructors that
  validate their arguments. Numpy arrays, dtypes and scalars are rebuilt
  from plain numeric dtypes and byte strings of the right length only;
  mmengine's ``HistoryBuffer`` only from its own numeric fields and
  statistics methods. Nothing else is imported or called.

Nothing here touches torch's process-wide weights-only allow-list.
"""
import argparse
import io
import math
import pickle
import zipfile
from collections import Counter, OrderedDict
from typing import Any, BinaryIO, Callable, Dict, Optional, Tuple, Union

import numpy as np
import torch

MAX_DEFLATE_RATIO = 64
"""A deflated record may expand to at most this many times its size."""

_PLAIN_NUMPY_CODES = frozenset(
    ('b1', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'f2', 'f4', 'f8',
     'c8', 'c16'))
_STORAGE_DTYPES = {
    'BoolStorage': torch.bool, 'ByteStorage': torch.uint8,
    'CharStorage': torch.int8, 'ShortStorage': torch.int16,
    'IntStorage': torch.int32, 'LongStorage': torch.int64,
    'HalfStorage': torch.float16, 'BFloat16Storage': torch.bfloat16,
    'FloatStorage': torch.float32, 'DoubleStorage': torch.float64,
    'ComplexFloatStorage': torch.complex64,
    'ComplexDoubleStorage': torch.complex128,
}
SKIPPED_CLASSES = frozenset({('yacs.config', 'CfgNode')})
"""Configuration objects that training checkpoints pickle beside their
weights (the Swin codebase's ``config``): read as :class:`SkippedObject`."""


class SkippedObject(dict):
    """A pickled configuration object that was not constructed: nothing of
    its class is imported or run, its pickled items are kept as a dict."""

    def __init__(self, type_name: str) -> None:
        super().__init__()
        self.type_name = type_name


class _SkippedClass:
    """Stands for a class of :data:`SKIPPED_CLASSES` inside a pickle."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __call__(self, *args: Any) -> SkippedObject:
        return SkippedObject(self.type_name)


_ITEM_TARGETS = {dict: (dict, OrderedDict, Counter, SkippedObject),
                 list: (list, ), set: (set, )}
MapLocation = Union[None, str, torch.device, Dict[str, str], Callable]


class UnsafeCheckpoint(pickle.UnpicklingError):
    """The pickle asks for something the reader never builds."""


class BadRecord(ValueError):
    """A zip record is inconsistent with what the pickle claims."""


class _StorageType:
    """What ``torch.FloatStorage`` etc. stand for inside a pickle: a dtype."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.dtype = _STORAGE_DTYPES[name]


class _Storage:
    """A storage read from its record: raw bytes and the element dtype."""

    def __init__(self, data: torch.Tensor, dtype: torch.dtype) -> None:
        self.data = data
        self.dtype = dtype
        self.numel = data.numel() // _itemsize(dtype)


def _itemsize(dtype: torch.dtype) -> int:
    return torch.empty((), dtype=dtype).element_size()


def _int(value: Any, what: str, minimum: int = 0) -> int:
    if type(value) is not int or value < minimum:
        raise UnsafeCheckpoint(f'{what} must be an integer >= {minimum}, '
                               f'got {value!r}')
    return value


def _ints(value: Any, what: str) -> Tuple[int, ...]:
    if not isinstance(value, tuple):
        raise UnsafeCheckpoint(f'{what} must be a tuple, got {value!r}')
    return tuple(_int(v, what) for v in value)


def _no_hooks(hooks: Any) -> None:
    if hooks is not None and (not isinstance(hooks, dict) or hooks):
        raise UnsafeCheckpoint('tensors with backward hooks are not loaded')


def rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any,
                   requires_grad: Any = False, hooks: Any = None,
                   metadata: Any = None) -> torch.Tensor:
    """``torch._utils._rebuild_tensor_v2``, checked to stay in its storage:
    ``offset + sum((size_i - 1) * stride_i) < numel`` for non-empty views.
    """
    if not isinstance(storage, _Storage):
        raise UnsafeCheckpoint('a tensor must be built from a storage record')
    offset = _int(offset, 'storage offset')
    size, stride = _ints(size, 'tensor size'), _ints(stride, 'tensor stride')
    if len(size) != len(stride):
        raise UnsafeCheckpoint(f'size {size} and stride {stride} differ in '
                               'length')
    if type(requires_grad) is not bool:
        raise UnsafeCheckpoint('requires_grad must be a bool')
    _no_hooks(hooks)
    if metadata:
        raise UnsafeCheckpoint('conjugate/negative tensor views are not '
                               'loaded')
    if all(size):
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= storage.numel:
            raise BadRecord(
                f'a tensor of size {size} at offset {offset} reaches element '
                f'{last} of a storage of {storage.numel} elements')
    tensor = torch.empty(0, dtype=storage.dtype, device=storage.data.device)
    tensor.set_(storage.data.untyped_storage(), offset, size, stride)
    tensor.requires_grad_(requires_grad)
    return tensor


def rebuild_parameter(data: Any, requires_grad: Any, hooks: Any,
                      state: Any = None) -> torch.nn.Parameter:
    """``torch._utils._rebuild_parameter(_with_state)`` without hooks or
    Python attributes."""
    if type(data) is not torch.Tensor or type(requires_grad) is not bool:
        raise UnsafeCheckpoint('a Parameter must wrap a tensor')
    _no_hooks(hooks)
    if state:
        raise UnsafeCheckpoint('Parameters with Python attributes are not '
                               'loaded')
    return torch.nn.Parameter(data, requires_grad)


def encode(text: Any, encoding: Any = 'latin1') -> bytes:
    """``_codecs.encode`` as pickle protocol 2 uses it for ``bytes``."""
    if type(text) is not str or encoding not in ('latin1', 'latin-1'):
        raise UnsafeCheckpoint('_codecs.encode is only loaded for latin-1 '
                               'byte strings')
    return text.encode('latin1')


def numpy_dtype(code: Any, align: Any = False, copy: Any = True) -> np.dtype:
    """``numpy.dtype(code)`` for a plain numeric, boolean or complex code."""
    if code not in _PLAIN_NUMPY_CODES or align is not False:
        raise UnsafeCheckpoint(f'numpy dtype {code!r} is not a plain numeric '
                               'dtype')
    return np.dtype(code)


def _check_dtype_state(dtype: np.dtype, state: Any) -> None:
    """A dtype's pickled state must be the one numpy writes for ``dtype``."""
    if not (isinstance(state, tuple) and len(state) == 8):
        raise UnsafeCheckpoint('malformed numpy dtype state')
    version, order, sub, names, fields, elsize, align, flags = state
    native = '|' if dtype.itemsize == 1 else '<'
    if (version != 3 or order not in (native, '=') or sub is not None
            or names is not None or fields is not None or elsize != -1
            or align != -1 or flags != 0):
        raise UnsafeCheckpoint(
            f'numpy dtype state {state!r} is not that of a plain '
            f'little-endian {dtype}')


def numpy_reconstruct(cls: Any, shape: Any, code: Any) -> np.ndarray:
    """``numpy.core.multiarray._reconstruct``: an empty array that only a
    checked BUILD fills (never uninitialised memory)."""
    if cls is not np.ndarray or shape != (0, ) or not isinstance(
            code, (bytes, str)):
        raise UnsafeCheckpoint('numpy arrays are only loaded as plain '
                               'ndarrays')
    return np.empty(0, dtype=np.uint8)


def _fill_array(array: np.ndarray, state: Any) -> None:
    """``ndarray.__setstate__`` after checking dtype, shape and byte count."""
    if not (isinstance(state, tuple) and len(state) == 5):
        raise UnsafeCheckpoint('malformed numpy array state')
    version, shape, dtype, fortran, raw = state
    shape = _ints(shape, 'numpy array shape')
    if (version != 1 or not isinstance(dtype, np.dtype)
            or dtype.str[1:] not in _PLAIN_NUMPY_CODES or
            dtype.byteorder == '>' or type(fortran) is not bool):
        raise UnsafeCheckpoint('numpy arrays are only loaded with plain '
                               'little-endian numeric dtypes')
    if not isinstance(raw, bytes):
        raise UnsafeCheckpoint('numpy array data must be raw bytes')
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) != expected:
        raise BadRecord(f'a numpy array of shape {shape} and dtype {dtype} '
                        f'needs {expected} bytes, the file holds {len(raw)}')
    array.__setstate__((version, shape, dtype, fortran, raw))


def numpy_scalar(dtype: Any, raw: Any = None) -> np.generic:
    """``numpy.core.multiarray.scalar`` for plain numeric dtypes."""
    if not isinstance(dtype, np.dtype) or dtype.str[1:] not in \
            _PLAIN_NUMPY_CODES or not isinstance(raw, bytes):
        raise UnsafeCheckpoint('numpy scalars are only loaded with plain '
                               'numeric dtypes')
    if len(raw) != dtype.itemsize:
        raise BadRecord(f'a numpy {dtype} scalar needs {dtype.itemsize} '
                        f'bytes, the file holds {len(raw)}')
    return np.frombuffer(raw, dtype=dtype)[0]


def _history_buffer() -> type:
    from mmengine.logging import HistoryBuffer
    return HistoryBuffer


def history_buffer_method(owner: Any, name: Any) -> Callable:
    """``getattr(HistoryBuffer, name)`` for its public statistics methods,
    as mmengine pickles ``HistoryBuffer._statistics_methods``."""
    buffer_cls = _history_buffer()
    if owner is not buffer_cls or not isinstance(name, str) or \
            name.startswith('_') or not callable(
                getattr(buffer_cls, name, None)):
        raise UnsafeCheckpoint(
            f'getattr({owner!r}, {name!r}) is not loaded: only the public '
            'statistics methods of mmengine.logging.HistoryBuffer are')
    return getattr(buffer_cls, name)


def _fill_history_buffer(buffer: Any, state: Any) -> None:
    """``HistoryBuffer.__setstate__`` with only its own, checked fields."""
    buffer_cls = _history_buffer()
    if not isinstance(state, dict) or not set(state) <= {
            'max_length', '_log_history', '_count_history',
            'statistics_methods'}:
        raise UnsafeCheckpoint('malformed HistoryBuffer state')
    _int(state.get('max_length', 1), 'HistoryBuffer.max_length', 1)
    for key in ('_log_history', '_count_history'):
        if type(state.get(key, np.empty(0))) is not np.ndarray:
            raise UnsafeCheckpoint(f'HistoryBuffer.{key} must be an array')
    methods = state.get('statistics_methods', {})
    if not isinstance(methods, dict) or any(
            not isinstance(k, str) or getattr(buffer_cls, k, None) is not v
            for k, v in methods.items()):
        raise UnsafeCheckpoint('HistoryBuffer statistics must be its own '
                               'methods')
    buffer.__setstate__(dict(state))


def _fill_namespace(namespace: argparse.Namespace, state: Any) -> None:
    if not isinstance(state, dict) or not all(
            isinstance(k, str) for k in state):
        raise UnsafeCheckpoint('malformed argparse.Namespace state')
    vars(namespace).update(state)


def _fill_state_dict_metadata(state_dict: OrderedDict, state: Any) -> None:
    """``module.state_dict()`` pickles its ``_metadata`` attribute (the
    modules' versions) as BUILD state; nothing else is set."""
    if not isinstance(state, dict) or set(state) - {'_metadata'}:
        raise UnsafeCheckpoint('an OrderedDict may only carry _metadata')
    vars(state_dict).update(state)


def _constructor(cls: type) -> Callable:
    """``cls(iterable)`` for the container types a pickle may rebuild."""
    def build(*args: Any) -> Any:
        if len(args) > 1:
            raise UnsafeCheckpoint(f'{cls.__name__} takes one iterable')
        return cls(*args)
    build.__name__ = cls.__name__
    return build


def _allowed_globals() -> Dict[Tuple[str, str], Any]:
    """The names a checkpoint pickle may reference, and what each becomes."""
    table: Dict[Tuple[str, str], Any] = {
        ('collections', 'OrderedDict'): OrderedDict,
        ('collections', 'Counter'): _constructor(Counter),
        ('builtins', 'set'): _constructor(set),
        ('builtins', 'frozenset'): _constructor(frozenset),
        ('argparse', 'Namespace'): argparse.Namespace,
        ('_codecs', 'encode'): encode,
        ('torch._utils', '_rebuild_tensor_v2'): rebuild_tensor,
        ('torch._utils', '_rebuild_parameter'): rebuild_parameter,
        ('torch._utils', '_rebuild_parameter_with_state'): rebuild_parameter,
        ('torch', 'Size'): torch.Size,
        ('numpy', 'dtype'): numpy_dtype,
        ('numpy', 'ndarray'): np.ndarray,
        ('mmengine.logging.history_buffer', 'HistoryBuffer'): None,
        ('builtins', 'getattr'): history_buffer_method,
    }
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        table[(module, '_reconstruct')] = numpy_reconstruct
        table[(module, 'scalar')] = numpy_scalar
    for name in _STORAGE_DTYPES:
        table[('torch', name)] = _StorageType(name)
    for module, name in SKIPPED_CLASSES:
        table[(module, name)] = _SkippedClass(f'{module}.{name}')
    for name in dir(torch):
        if isinstance(getattr(torch, name), torch.dtype):
            table[('torch', name)] = getattr(torch, name)
    return table


ALLOWED_GLOBALS = _allowed_globals()


class SafeUnpickler(pickle._Unpickler):
    """Unpickles ``data.pkl`` of a torch checkpoint; see the module doc.

    Every callable comes from :data:`ALLOWED_GLOBALS`; BUILD only fills the
    objects that need it (numpy arrays, argparse namespaces,
    ``HistoryBuffer``, a state dict's ``_metadata``) and checks the state;
    item and list opcodes only reach dicts, lists and sets. Configuration
    objects of :data:`SKIPPED_CLASSES` become :class:`SkippedObject`.
    """

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file: BinaryIO,
                 load_storage: Callable[[_StorageType, str, int],
                                        _Storage]) -> None:
        super().__init__(file, encoding='utf-8')
        self._load_storage = load_storage

    def find_class(self, module: str, name: str) -> Any:
        if module == '__builtin__':
            module = 'builtins'
        key = (module, name)
        if key not in ALLOWED_GLOBALS:
            raise UnsafeCheckpoint(
                f'it references {module}.{name}, which is not a tensor, '
                'container or plain value')
        value = ALLOWED_GLOBALS[key]
        return _history_buffer() if value is None else value

    def persistent_load(self, pid: Any) -> _Storage:
        if not (isinstance(pid, tuple) and len(pid) == 5
                and pid[0] == 'storage'
                and isinstance(pid[1], _StorageType)
                and isinstance(pid[2], str) and isinstance(pid[3], str)):
            raise UnsafeCheckpoint(f'unknown persistent id {pid!r:.80}')
        return self._load_storage(pid[1], pid[2],
                                  _int(pid[4], 'storage size'))

    def load_build(self) -> None:
        state = self.stack.pop()
        inst = self.stack[-1]
        if type(inst) is np.ndarray:
            _fill_array(inst, state)
        elif isinstance(inst, np.dtype):
            _check_dtype_state(inst, state)
        elif type(inst) is argparse.Namespace:
            _fill_namespace(inst, state)
        elif type(inst) is OrderedDict:
            _fill_state_dict_metadata(inst, state)
        elif type(inst) is SkippedObject:
            pass
        elif type(inst) is _history_buffer():
            _fill_history_buffer(inst, state)
        else:
            raise UnsafeCheckpoint(
                f'it sets the state of a {type(inst).__name__}')
    dispatch[pickle.BUILD[0]] = load_build

    def load_newobj(self) -> None:
        args = self.stack.pop()
        cls = self.stack.pop()
        if isinstance(cls, _SkippedClass):
            self.append(cls())
            return
        if cls not in (argparse.Namespace, OrderedDict, _history_buffer()) \
                or args:
            raise UnsafeCheckpoint(f'it creates a {cls!r:.60} object')
        self.append(cls.__new__(cls))
    dispatch[pickle.NEWOBJ[0]] = load_newobj

    def _refuse(self) -> None:
        raise UnsafeCheckpoint('it uses an opcode that builds arbitrary '
                               'objects (INST/OBJ/NEWOBJ_EX/EXT)')
    for _op in (pickle.INST, pickle.OBJ, pickle.NEWOBJ_EX, pickle.EXT1,
                pickle.EXT2, pickle.EXT4):
        dispatch[_op[0]] = _refuse

    def _target(self, kind: type) -> Any:
        """The container on top of the stack, if it is of ``kind``."""
        target = self.stack[-1]
        if type(target) not in _ITEM_TARGETS[kind]:
            raise UnsafeCheckpoint(
                f'it adds items to a {type(target).__name__}')
        return target

    def load_setitem(self) -> None:
        value = self.stack.pop()
        key = self.stack.pop()
        self._target(dict)[key] = value
    dispatch[pickle.SETITEM[0]] = load_setitem

    def load_setitems(self) -> None:
        items = self.pop_mark()
        target = self._target(dict)
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]
    dispatch[pickle.SETITEMS[0]] = load_setitems

    def load_append(self) -> None:
        value = self.stack.pop()
        self._target(list).append(value)
    dispatch[pickle.APPEND[0]] = load_append

    def load_appends(self) -> None:
        items = self.pop_mark()
        self._target(list).extend(items)
    dispatch[pickle.APPENDS[0]] = load_appends

    def load_additems(self) -> None:
        items = self.pop_mark()
        self._target(set).update(items)
    dispatch[pickle.ADDITEMS[0]] = load_additems
    del _op


class _Archive:
    """The records of one ``torch.save`` zip file, checked before use."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.zip = archive
        pickles = [n for n in archive.namelist()
                   if n == 'data.pkl' or n.endswith('/data.pkl')]
        if len(pickles) != 1:
            raise BadRecord('it is a zip file but not a torch.save archive '
                            f'({len(pickles)} data.pkl records)')
        self.prefix = pickles[0][:-len('data.pkl')]
        for info in archive.infolist():
            if info.compress_type not in (zipfile.ZIP_STORED,
                                          zipfile.ZIP_DEFLATED):
                raise BadRecord(f'record {info.filename} uses compression '
                                f'method {info.compress_type}')
            if info.compress_type == zipfile.ZIP_DEFLATED and \
                    info.file_size > MAX_DEFLATE_RATIO * \
                    max(info.compress_size, 1024):
                raise BadRecord(
                    f'record {info.filename} expands from '
                    f'{info.compress_size} to {info.file_size} bytes, more '
                    f'than {MAX_DEFLATE_RATIO}x')
        order = self.prefix + 'byteorder'
        if order in archive.namelist() and \
                self.read(order).strip() != b'little':
            raise BadRecord('it was saved on a big-endian machine')
        self.storages: Dict[str, _Storage] = {}

    def read(self, name: str) -> bytes:
        """A record's bytes; zipfile checks its CRC at the end."""
        return self.zip.read(name)

    def storage(self, kind: _StorageType, key: str, numel: int,
                location: Callable[[torch.Tensor], torch.Tensor]
                ) -> _Storage:
        """The storage ``key``, whose record must hold exactly ``numel``
        elements of ``kind``."""
        if key in self.storages:
            return self.storages[key]
        name = f'{self.prefix}data/{key}'
        try:
            info = self.zip.getinfo(name)
        except KeyError:
            raise BadRecord(f'the storage record {name} is missing') from None
        nbytes = numel * _itemsize(kind.dtype)
        if info.file_size != nbytes:
            raise BadRecord(
                f'storage {key} claims {numel} {kind.dtype} elements '
                f'({nbytes} bytes) but its record holds {info.file_size} '
                'bytes')
        data = torch.empty(nbytes, dtype=torch.uint8)
        with self.zip.open(info) as record:
            got = record.readinto(memoryview(data.numpy()))
            if got != nbytes or record.read(1):
                raise BadRecord(f'record {name} is shorter than its header')
        self.storages[key] = _Storage(location(data), kind.dtype)
        return self.storages[key]


def _mapper(map_location: MapLocation
            ) -> Callable[[torch.Tensor], torch.Tensor]:
    """Where loaded storages go: ``torch.load``'s ``map_location`` for CPU
    files (a device, a name, a dict of names or ``fn(storage, 'cpu')``)."""
    if map_location is None:
        return lambda data: data
    if isinstance(map_location, dict):
        map_location = map_location.get('cpu', 'cpu')
    if callable(map_location) and not isinstance(map_location, str):
        fn = map_location

        def apply(data: torch.Tensor) -> torch.Tensor:
            moved = fn(data.untyped_storage(), 'cpu')
            out = torch.empty(0, dtype=torch.uint8, device=moved.device)
            return out.set_(moved)
        return apply
    device = torch.device(map_location)
    return lambda data: data.to(device)


def read_checkpoint(source: Union[str, BinaryIO],
                    map_location: MapLocation = None) -> Any:
    """Read a ``torch.save`` zip archive building only tensors, containers,
    plain values and the checked extras of the module doc.

    Raises:
        UnsafeCheckpoint: the pickle references or builds anything else.
        BadRecord: records and pickle disagree (sizes, CRC, expansion).
        zipfile.BadZipFile: not a zip archive, or truncated.
    """
    with zipfile.ZipFile(source) as archive:
        records = _Archive(archive)
        location = _mapper(map_location)

        def load_storage(kind: _StorageType, key: str,
                         numel: int) -> _Storage:
            return records.storage(kind, key, numel, location)

        data = records.read(records.prefix + 'data.pkl')
        return SafeUnpickler(io.BytesIO(data), load_storage).load()

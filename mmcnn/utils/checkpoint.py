"""Safe checkpoint loading.

Every checkpoint mmcnn reads goes through :func:`load_checkpoint_file`:
local files are read by :func:`~mmcnn.utils.checkpoint_reader.
read_checkpoint`, which builds only tensors, containers, plain values and
checked numpy/mmengine extras and validates every record first; URLs and
mmengine's ``*://`` prefixes are downloaded to the usual cache and read the
same way (:mod:`mmcnn.utils.load_policy` routes mmengine and torch there).
"""
import logging
import os
import pickle
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import (Any, BinaryIO, Callable, Dict, List, NamedTuple,
                    Optional, Tuple, Union)

import torch
from torch import nn

from .checkpoint_reader import (BadRecord, MapLocation, SkippedObject,
                                UnsafeCheckpoint, read_checkpoint)

StateDict = Dict[str, torch.Tensor]


class CheckpointError(RuntimeError):
    """A checkpoint could not be read or does not fit the model."""


def _not_a_zip(head: bytes) -> str:
    """Why a file that is not a zip archive cannot be a checkpoint."""
    if not head:
        return 'the file is empty (0 bytes)'
    if head[:1] == b'\x80' or head[257:262] == b'ustar':
        return ('it is in torch.save\'s legacy (pre-1.6, non-zip) format, '
                'which cannot be checked before unpickling and is not read; '
                'convert it once in a trusted environment with a current '
                'torch: torch.save(torch.load(f, weights_only=True), f)')
    return (f'it is not a PyTorch checkpoint (it starts with {head[:16]!r}: '
            'a text or HTML file, such as an error page saved by a failed '
            'download?)')


def _head(source: Union[str, BinaryIO]) -> bytes:
    """The first bytes of a file or stream (the stream is rewound)."""
    if isinstance(source, str):
        with open(source, 'rb') as f:
            return f.read(512)
    position = source.tell()
    head = source.read(512)
    source.seek(position)
    return head


def read_file(source: Union[str, BinaryIO], name: str,
              map_location: MapLocation = None) -> Any:
    """Read one checkpoint file or stream with the safe reader, turning
    every failure into a :class:`CheckpointError` naming ``name``."""
    head = _head(source)
    if head[:2] != b'PK':
        raise CheckpointError(f'Cannot read checkpoint {name!r}: '
                              f'{_not_a_zip(head)}.')
    try:
        return read_checkpoint(source, map_location)
    except UnsafeCheckpoint as err:
        raise CheckpointError(
            f'Refused to load {name!r}: {err}. Nothing from it was executed: '
            'mmcnn builds only tensors, containers, plain values and the '
            'numpy/mmengine extras listed in docs/safe_loading.md. If the '
            'file comes from a trusted source, re-save its weights only '
            '(torch.save(model.state_dict(), path)).') from None
    except BadRecord as err:
        raise CheckpointError(
            f'Refused to load {name!r}: its records are inconsistent ({err}); '
            'the file is corrupt or crafted. Download or save it '
            'again.') from None
    except (zipfile.BadZipFile, pickle.UnpicklingError, EOFError, OSError,
            ValueError, TypeError, KeyError, IndexError, AttributeError,
            RuntimeError, OverflowError, MemoryError) as err:
        raise CheckpointError(
            f'Cannot read checkpoint {name!r}: the file is truncated or '
            f'corrupt ({type(err).__name__}: {err}). Download or save it '
            'again.') from None


def load_checkpoint_file(path: Union[str, BinaryIO],
                         map_location: MapLocation = 'cpu') -> dict:
    """Read a checkpoint (a local path, a URL, an mmengine ``*://`` name or
    an open binary stream) without running anything it contains.

    Raises:
        CheckpointError: the file is missing, truncated, corrupt or
            inconsistent, or it holds objects outside what the reader
            builds (which are never run).
    """
    if not isinstance(path, str):
        ckpt = read_file(path, getattr(path, 'name', '<stream>'),
                         map_location)
    elif '://' in path:
        from mmengine.runner import CheckpointLoader
        ckpt = CheckpointLoader.load_checkpoint(path, map_location)
    elif not os.path.isfile(path):
        from mmcnn.utils.pretrained import missing_file_advice
        tried = os.path.abspath(path)
        raise CheckpointError(
            f'Checkpoint file not found: {path!r} (looked for {tried}). '
            + missing_file_advice(path, tried))
    else:
        ckpt = read_file(path, path, map_location)
    if not isinstance(ckpt, dict):
        raise CheckpointError(
            f'Checkpoint {path!r} holds a {type(ckpt).__name__}, not a dict '
            'of tensors; save a state_dict instead of a whole model.')
    skipped = {k: v.type_name for k, v in ckpt.items()
               if isinstance(v, SkippedObject)}
    if skipped:
        from mmengine.logging import print_log
        print_log(
            f'{path!r}: skipped the pickled configuration object(s) '
            f'{skipped}: not constructed (nothing imported or run), kept '
            'as plain dicts; the weights are unaffected.', logger='current')
    return ckpt


WEIGHT_KEYS = ('state_dict', 'model')
"""Where release layouts keep the weights: timm and mmengine, FAIR/Swin."""
EMA_KEYS = ('state_dict_ema', 'model_ema', 'ema_state_dict')
"""Where they keep EMA weights: timm, FAIR/Swin, mmengine's EMAHook."""


def extract_state_dict(ckpt: dict, use_ema: bool = False) -> StateDict:
    """Pick the model weights out of a training checkpoint.

    Understands timm files (``state_dict``, ``state_dict_ema``, argparse
    ``args``), FAIR and Swin-codebase files (``model``, ``model_ema``, a
    skipped ``config``), mmengine files (``state_dict``, ``meta``,
    ``ema_state_dict``) and bare state dicts. A DDP ``module.`` prefix is
    removed.
    """
    keys = EMA_KEYS if use_ema else WEIGHT_KEYS + EMA_KEYS
    found = [k for k in keys if isinstance(ckpt.get(k), dict)]
    if use_ema and not found:
        raise CheckpointError(
            'EMA weights were requested (use_ema=True) but the checkpoint '
            f'has none of {list(EMA_KEYS)} (it has {sorted(map(str, ckpt))}'
            '). Set use_ema=False to load its regular weights.')
    state_dict = ckpt[found[0]] if found else ckpt
    bad_keys = [k for k in state_dict if not isinstance(k, str)]
    if bad_keys:
        raise CheckpointError(
            f'The checkpoint\'s state dict has non-string keys '
            f'({bad_keys[:5]!r}); a state dict maps parameter names to '
            'tensors. Was it saved from something other than '
            'module.state_dict()?')
    tensors = OrderedDict()
    for name, value in state_dict.items():
        if torch.is_tensor(value):
            tensors[name[7:] if name.startswith('module.') else name] = value
    if not tensors:
        raise CheckpointError(
            f'No tensors found in the checkpoint (top-level keys: '
            f'{sorted(map(str, ckpt))[:10]}).')
    return tensors


class DroppedGroup(NamedTuple):
    """Tensors of a checkpoint that were deliberately not loaded.

    Attributes:
        what: what they are, e.g. ``'classifier head'``.
        reason: why they are not loaded.
        keys: their names in the file.
    """

    what: str
    reason: str
    keys: Tuple[str, ...]

    def describe(self) -> str:
        """``what, N tensors: reason: key, key, ...``."""
        count = len(self.keys)
        return (f'{self.what}, {count} tensor{"s" * (count != 1)}: '
                f'{self.reason}: {", ".join(self.keys)}')


class Converted(NamedTuple):
    """What a checkpoint filter makes of a file's state dict: the entries
    for the model, and the groups of tensors it left out on purpose."""

    state_dict: StateDict
    dropped: List[DroppedGroup]


FilterResult = Union[StateDict, Converted]


@dataclass
class LoadReport:
    """What :func:`load_pretrained` did with a file.

    Every tensor of the file's chosen weights that was not loaded is in
    ``dropped`` (with the filter's reasons, the entries outside ``prefix``,
    the unexpected and the mis-shaped ones); ``missing`` lists the model's
    tensors the file did not fill.
    """

    source: str
    model: str
    weights: str
    loaded: List[str]
    expected: int
    dropped: List[DroppedGroup]
    missing: List[str]
    unexpected: List[str] = field(default_factory=list)
    mismatched: List[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: file, tensors loaded of expected, which weights."""
        dropped = sum(len(g.keys) for g in self.dropped)
        return (f'Loaded {self.source} into {self.model}: '
                f'{len(self.loaded)} of {self.expected} tensors, from '
                f'{self.weights}; {dropped} tensor{"s" * (dropped != 1)} of '
                f'the file not loaded, {len(self.missing)} of the model '
                'not in the file.')

    def details(self) -> List[str]:
        """One line per group of tensors not loaded, then the model's
        tensors the file lacks."""
        lines = [f'  not loaded: {group.describe()}'
                 for group in self.dropped]
        if self.missing:
            lines.append(
                f'  not in the file, {len(self.missing)} tensors: they keep '
                f'their initialisation: {", ".join(self.missing)}')
        return lines

    def __str__(self) -> str:
        return '\n'.join([self.summary()] + self.details())


def _weights_entry(ckpt: dict, use_ema: bool) -> str:
    """Which weights :func:`extract_state_dict` takes from ``ckpt``, and
    the other weight sets the file holds, in words."""
    keys = EMA_KEYS if use_ema else WEIGHT_KEYS + EMA_KEYS
    found = [k for k in keys if isinstance(ckpt.get(k), dict)]
    if not found:
        return 'the bare state dict (no EMA)'
    kind = 'EMA weights' if found[0] in EMA_KEYS else 'regular weights'
    others = [k for k in WEIGHT_KEYS + EMA_KEYS
              if k != found[0] and isinstance(ckpt.get(k), dict)]
    unused = f'; not used: {", ".join(map(repr, others))}' if others else ''
    return f'{kind} {found[0]!r}{unused}'


def strip_prefix(state_dict: StateDict, prefix: str) -> StateDict:
    """Keep the entries under ``prefix`` (e.g. ``backbone.``), unprefixed.

    Returns ``state_dict`` unchanged when no key carries the prefix.
    """
    if not any(k.startswith(prefix) for k in state_dict):
        return state_dict
    return OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                       if k.startswith(prefix))


def _match(model: nn.Module, state_dict: StateDict
           ) -> Tuple[StateDict, List[str], List[str], List[str]]:
    """Split ``state_dict`` against ``model``: the usable entries, the
    model's missing keys, the unexpected keys and the shape mismatches
    (``key: checkpoint (..) vs model (..)``)."""
    own = model.state_dict()
    mismatched = [
        f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}'
        for k, v in state_dict.items() if k in own and v.shape != own[k].shape
    ]
    usable = OrderedDict((k, v) for k, v in state_dict.items()
                         if k in own and v.shape == own[k].shape)
    missing = [k for k in own if k not in usable]
    unexpected = [k for k in state_dict if k not in own]
    return usable, missing, unexpected, mismatched


def _load_matching(model: nn.Module, state_dict: StateDict, strict: bool,
                   source: str
                   ) -> Tuple[StateDict, List[str], List[str], List[str]]:
    """Load the entries of ``state_dict`` that fit ``model``; with
    ``strict`` raise one :class:`CheckpointError` for any difference.

    Returns:
        What :func:`_match` returns: the loaded entries, the missing,
        unexpected and mis-shaped keys.
    """
    usable, missing, unexpected, mismatched = _match(model, state_dict)
    if strict and (missing or unexpected or mismatched):
        raise CheckpointError(
            f'{source} does not match {type(model).__name__}:\n' +
            _report(missing, unexpected, mismatched) +
            '\nIs it a checkpoint of another architecture or variant?')
    model.load_state_dict(usable, strict=False)
    return usable, missing, unexpected, mismatched


def load_state_dict_checked(model: nn.Module,
                            state_dict: StateDict,
                            strict: bool = False,
                            source: str = 'checkpoint'
                            ) -> Tuple[List[str], List[str]]:
    """Load weights, reporting missing, unexpected and mis-shaped keys.

    Shape mismatches never reach ``torch`` (whose error is a long trace):
    with ``strict`` every problem raises one :class:`CheckpointError` naming
    the file and keys; otherwise the mismatched entries are skipped and
    reported.

    Returns:
        (missing keys, unexpected keys), mismatched ones counted as both.
    """
    _, missing, unexpected, mismatched = _load_matching(
        model, state_dict, strict, source)
    if missing or unexpected or mismatched:
        from mmengine.logging import print_log
        print_log(f'Loaded {source} into {type(model).__name__} with '
                  'differences:\n' +
                  _report(missing, unexpected, mismatched), logger='current')
    return missing, unexpected


def _report(missing: List[str], unexpected: List[str],
            mismatched: List[str]) -> str:
    """A short human-readable listing of state-dict differences."""
    lines = []
    for title, keys in (('shape mismatch', mismatched),
                        ('missing in checkpoint', missing),
                        ('unexpected in checkpoint', unexpected)):
        if keys:
            shown = ', '.join(keys[:8]) + (
                f' ... (+{len(keys) - 8} more)' if len(keys) > 8 else '')
            lines.append(f'  {title} ({len(keys)}): {shown}')
    return '\n'.join(lines)


def load_pretrained(model: nn.Module,
                    path: str,
                    checkpoint_filter: Optional[Callable[
                        [StateDict, nn.Module], FilterResult]] = None,
                    prefix: str = '',
                    use_ema: bool = False,
                    strict: bool = False) -> LoadReport:
    """Load a (possibly official-format) checkpoint into ``model``.

    Logs one INFO line (file, tensors loaded of expected, which weights)
    followed by every tensor of the file that was not loaded, grouped with
    the reason, and the model's tensors the file lacks; unexpected and
    mis-shaped tensors are also logged as a warning.

    Args:
        model: the module to fill.
        path: checkpoint file.
        checkpoint_filter: the family's converter from its official key
            layout to mmcnn's (timm's ``checkpoint_filter_fn`` convention);
            it may return a :class:`Converted` naming what it left out.
        prefix: take only the entries under this prefix (``backbone.`` to
            load a backbone from a detector or classifier checkpoint).
        use_ema: prefer the EMA weights.
        strict: raise on any missing, unexpected or mis-shaped tensor
            (those the filter leaves out on purpose excepted) instead of
            reporting it.

    Returns:
        The :class:`LoadReport`.
    """
    ckpt = load_checkpoint_file(path)
    state_dict = extract_state_dict(ckpt, use_ema)
    dropped = []
    if prefix:
        kept = strip_prefix(state_dict, prefix)
        if kept is not state_dict:
            outside = tuple(k for k in state_dict if not k.startswith(prefix))
            if outside:
                dropped.append(DroppedGroup(
                    f'outside prefix {prefix!r}',
                    'init_cfg.prefix takes only the entries under it',
                    outside))
        state_dict = kept
    if checkpoint_filter is not None:
        result = checkpoint_filter(state_dict, model)
        if isinstance(result, Converted):
            state_dict = result.state_dict
            dropped.extend(group for group in result.dropped if group.keys)
        else:
            state_dict = result
    name = type(model).__name__
    usable, missing, unexpected, mismatched = _load_matching(
        model, state_dict, strict, repr(path))
    if unexpected:
        dropped.append(DroppedGroup(
            f'not in {name}', 'the model has no tensor of that name '
            '(another architecture or variant, or a stage outside '
            'out_indices?)', tuple(unexpected)))
    if mismatched:
        dropped.append(DroppedGroup(
            'shape mismatch', 'the model\'s tensor has another shape',
            tuple(mismatched)))
    report = LoadReport(repr(path), name, _weights_entry(ckpt, use_ema),
                        list(usable), len(model.state_dict()), dropped,
                        missing, unexpected, mismatched)
    from mmengine.logging import print_log
    print_log(str(report), logger='current', level=logging.INFO)
    if unexpected or mismatched:
        print_log(f'{report.source}: {len(unexpected) + len(mismatched)} '
                  f'tensors do not fit {name}:\n' +
                  _report([], unexpected, mismatched), logger='current',
                  level=logging.WARNING)
    return report

"""Safe checkpoint loading.

Every checkpoint mmcnn reads goes through :func:`load_checkpoint_file`,
which uses torch's weights-only unpickler. Harmless extras found in
official and mmengine checkpoints (argparse ``Namespace``, numpy arrays and
scalars, mmengine's ``HistoryBuffer``) are accepted through an explicit
allow-list; anything else that would run code is refused.
"""
import argparse
import codecs
import os
import pickle
from collections import Counter, OrderedDict
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
from torch import nn

StateDict = Dict[str, torch.Tensor]


class CheckpointError(RuntimeError):
    """A checkpoint could not be read or does not fit the model."""


def _numpy_globals() -> List[object]:
    """Numpy objects that plain numpy arrays and scalars pickle through."""
    multiarray = np.core.multiarray
    allowed = [multiarray._reconstruct, multiarray.scalar, np.ndarray,
               np.dtype]
    allowed += [type(np.dtype(t)) for t in (
        'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16',
        'uint32', 'uint64', 'float16', 'float32', 'float64')]
    return allowed


def _history_buffer_getattr(owner: object, name: str) -> object:
    """``getattr`` limited to the statistics methods of ``HistoryBuffer``.

    mmengine pickles ``HistoryBuffer._statistics_methods`` as
    ``getattr(HistoryBuffer, 'mean')``; allow-listing the builtin
    ``getattr`` would let a crafted file reach any attribute, so the
    checkpoint's ``getattr`` resolves to this function instead.
    """
    from mmengine.logging import HistoryBuffer
    if owner is not HistoryBuffer or name.startswith('_') or not callable(
            getattr(HistoryBuffer, name, None)):
        raise pickle.UnpicklingError(
            f'getattr({owner!r}, {name!r}) is not allowed in a checkpoint.')
    return getattr(HistoryBuffer, name)


def _mmengine_globals() -> List[object]:
    """mmengine objects stored in the checkpoints its runner writes."""
    from mmengine.logging import HistoryBuffer
    return [HistoryBuffer,
            (_history_buffer_getattr, '__builtin__.getattr'),
            (_history_buffer_getattr, 'builtins.getattr')]


def safe_globals() -> List[object]:
    """The allow-list of globals accepted by weights-only loading."""
    return [argparse.Namespace, codecs.encode, OrderedDict, Counter,
            *_numpy_globals(), *_mmengine_globals()]


def register_safe_globals() -> None:
    """Allow-list harmless checkpoint extras for ``torch.load``.

    This keeps ``weights_only=True`` (torch's default since 2.6) in force
    everywhere, including inside mmengine's own ``runner.resume``.
    """
    torch.serialization.add_safe_globals(safe_globals())


def load_checkpoint_file(path: str,
                         map_location: str = 'cpu') -> dict:
    """Read a checkpoint with weights-only unpickling.

    Raises:
        CheckpointError: the file is missing, truncated or corrupt, or it
            holds objects outside the allow-list (which are never run).
    """
    if not os.path.isfile(path):
        raise CheckpointError(
            f'Checkpoint file not found: {path!r}. Check the path given in '
            'init_cfg / --resume / the command line.')
    register_safe_globals()
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        first_line = str(err).strip().splitlines()[0]
        raise CheckpointError(
            f'Refused to load {path!r}: it contains Python objects outside '
            "mmcnn's allow-list of safe checkpoint contents, so it may run "
            f'code when unpickled ({first_line}). Nothing from it was '
            'executed. Re-save the weights only (torch.save(model.'
            'state_dict(), ...)) from a trusted source.') from None
    except (RuntimeError, EOFError, ValueError, OSError) as err:
        raise CheckpointError(
            f'Cannot read checkpoint {path!r}: the file is truncated or '
            f'corrupt ({type(err).__name__}: {err}). Download or save it '
            'again.') from None
    if not isinstance(ckpt, dict):
        raise CheckpointError(
            f'Checkpoint {path!r} holds a {type(ckpt).__name__}, not a dict '
            'of tensors; save a state_dict instead of a whole model.')
    return ckpt


def extract_state_dict(ckpt: dict, use_ema: bool = False) -> StateDict:
    """Pick the model weights out of a training checkpoint.

    Understands timm/official files (``state_dict``, ``state_dict_ema``,
    ``model``, with argparse ``args`` beside them), mmengine files
    (``state_dict`` with ``meta``) and bare state dicts. A DDP ``module.``
    prefix is removed.
    """
    if use_ema and not isinstance(ckpt.get('state_dict_ema'), dict):
        raise CheckpointError(
            'EMA weights were requested but the checkpoint has no '
            f'"state_dict_ema" entry (it has {sorted(ckpt)}).')
    keys = ('state_dict_ema', ) if use_ema else (
        'state_dict', 'model', 'state_dict_ema')
    state_dict = ckpt
    for key in keys:
        if isinstance(ckpt.get(key), dict):
            state_dict = ckpt[key]
            break
    tensors = OrderedDict()
    for name, value in state_dict.items():
        if torch.is_tensor(value):
            tensors[name[7:] if name.startswith('module.') else name] = value
    if not tensors:
        raise CheckpointError(
            f'No tensors found in the checkpoint (top-level keys: '
            f'{sorted(ckpt)[:10]}).')
    return tensors


def strip_prefix(state_dict: StateDict, prefix: str) -> StateDict:
    """Keep the entries under ``prefix`` (e.g. ``backbone.``), unprefixed.

    Returns ``state_dict`` unchanged when no key carries the prefix.
    """
    if not any(k.startswith(prefix) for k in state_dict):
        return state_dict
    return OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                       if k.startswith(prefix))


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
    own = model.state_dict()
    mismatched = [
        f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}'
        for k, v in state_dict.items() if k in own and v.shape != own[k].shape
    ]
    usable = OrderedDict((k, v) for k, v in state_dict.items()
                         if k in own and v.shape == own[k].shape)
    missing = [k for k in own if k not in usable]
    unexpected = [k for k in state_dict if k not in own]
    if strict and (missing or unexpected or mismatched):
        raise CheckpointError(
            f'{source} does not match {type(model).__name__}:\n' +
            _report(missing, unexpected, mismatched) +
            '\nIs it a checkpoint of another architecture or variant?')
    model.load_state_dict(usable, strict=False)
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
                        [StateDict, nn.Module], StateDict]] = None,
                    prefix: str = '',
                    use_ema: bool = False,
                    strict: bool = False) -> Tuple[List[str], List[str]]:
    """Load a (possibly official-format) checkpoint into ``model``.

    Args:
        model: the module to fill.
        path: checkpoint file.
        checkpoint_filter: the family's converter from its official key
            layout to mmcnn's (timm's ``checkpoint_filter_fn`` convention).
        prefix: take only the entries under this prefix (``backbone.`` to
            load a backbone from a detector or classifier checkpoint).
        use_ema: prefer the EMA weights.
        strict: raise on any difference instead of reporting it.
    """
    state_dict = extract_state_dict(load_checkpoint_file(path), use_ema)
    if prefix:
        state_dict = strip_prefix(state_dict, prefix)
    if checkpoint_filter is not None:
        state_dict = checkpoint_filter(state_dict, model)
    return load_state_dict_checked(model, state_dict, strict=strict,
                                   source=repr(path))

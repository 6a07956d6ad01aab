"""Checkpoint conversions declared as data.

A family declares, next to its class, the renames of each checkpoint
layout it reads (:class:`KeyTable`, in
:attr:`~mmcnn.models.backbones.base.ConvNetBackbone.checkpoint_tables`)
and the tensors stored with extra dimensions (:class:`Flatten`, in
``checkpoint_reshapes``); :func:`rename_keys` and :func:`flatten_values`
apply them in
:meth:`~mmcnn.models.backbones.base.ConvNetBackbone.rename_checkpoint`.
"""
import re
from typing import Callable, Iterable, NamedTuple, Sequence, Tuple, Union

from mmcnn.utils.checkpoint import StateDict

Replacement = Union[str, Callable[[re.Match[str]], str]]
"""What :func:`re.sub` puts in place of a match: a template (``\\1``) or a
function of the match."""


class KeyTable(NamedTuple):
    """The renames that turn one checkpoint layout's keys into mmcnn's.

    ``renames`` are ``(pattern, replacement)`` pairs applied with
    :func:`re.sub`, in order, to every key. ``when`` holds the key prefixes
    that mark the layout (``'stem.'`` for timm's ConvNeXt): the table
    applies to a checkpoint with a key that starts with one of them, or to
    every checkpoint when empty.
    """

    renames: Tuple[Tuple[str, Replacement], ...]
    when: Tuple[str, ...] = ()

    def applies_to(self, keys: Iterable[str]) -> bool:
        """Whether the checkpoint with ``keys`` is in this layout."""
        return not self.when or any(k.startswith(self.when) for k in keys)


class Flatten(NamedTuple):
    """Tensors a checkpoint stores with more dimensions than the model.

    A tensor whose (renamed) key contains a match of ``pattern``
    (:func:`re.search`) and that has more than ``rank`` (>= 1) dimensions
    keeps its first ``rank - 1`` and has the others merged into its last
    one: ``(C_out, C_in, 1, 1) -> (C_out, C_in)`` with ``rank=2``,
    ``(1, 1, 1, C) -> (C, )`` with ``rank=1``. It does not depend on the
    model, so keys the model lacks come out the same as the ones it has.
    """

    pattern: str
    rank: int


def rename_keys(state_dict: StateDict,
                tables: Sequence[KeyTable]) -> StateDict:
    """``state_dict`` with every key passed through the renames of the
    tables that apply to it (:meth:`KeyTable.applies_to`, decided on the
    keys as given), table by table; where two keys end up the same, the
    later value is kept."""
    renames = [rename for table in tables
               if table.applies_to(state_dict) for rename in table.renames]
    converted = {}
    for key, value in state_dict.items():
        for pattern, replacement in renames:
            key = re.sub(pattern, replacement, key)
        converted[key] = value
    return converted


def flatten_values(state_dict: StateDict,
                   flattens: Sequence[Flatten]) -> StateDict:
    """``state_dict`` with each tensor flattened as the ``flattens`` that
    match its key say, in order."""
    converted = {}
    for key, value in state_dict.items():
        for flatten in flattens:
            if (value.dim() > flatten.rank
                    and re.search(flatten.pattern, key)):
                value = value.flatten(flatten.rank - 1)
        converted[key] = value
    return converted

"""One checkpoint-loading policy for the whole process.

:func:`install` (run by ``import mmcnn``) sends every checkpoint the
OpenMMLab stack loads through :func:`~mmcnn.utils.checkpoint.
load_checkpoint_file`:

* mmengine's ``CheckpointLoader``: local files, ``http(s)://`` and the
  ``torchvision://``, ``open-mmlab://``, ``mmcls://`` names that resolve to
  URLs (``load_from``, ``--resume``, ``init_cfg=dict(type='Pretrained')``,
  mmdet/mmseg/mmpose/mmpretrain's own calls);
* ``torch.hub.load_state_dict_from_url``, whose ``weights_only`` defaults
  to False: downloads land in ``<torch hub dir>/checkpoints`` as before;
* ``torch.load`` asked to unpickle without restrictions (``weights_only=
  False``, a ``pickle_module``, or ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``):
  the safe reader is used instead, with a warning naming the cause.

``torch.load`` calls that keep weights-only loading are left to torch, and
torch's process-wide allow-list is not widened.
"""
import functools
import os
import os.path as osp
import sys
import warnings
from typing import Any, Callable, Optional
from urllib.error import URLError
from urllib.parse import urlparse

import torch

from .checkpoint import CheckpointError, load_checkpoint_file

UNSAFE_ENV = 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'
_TORCH_LOAD = torch.load


def unsafe_env_set() -> bool:
    """Whether the environment asks torch to unpickle without limits."""
    return os.environ.get(UNSAFE_ENV, '').lower() in ('1', 'y', 'yes',
                                                        'true')


def warn_unsafe_env() -> None:
    """Say loudly that ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` is ignored."""
    if unsafe_env_set():
        message = (
            f'{UNSAFE_ENV}={os.environ[UNSAFE_ENV]} is set, which would let '
            'torch.load run code from checkpoints. mmcnn ignores it: every '
            'checkpoint is still read by mmcnn\'s safe reader. Unset '
            f'{UNSAFE_ENV}.')
        warnings.warn(message, RuntimeWarning, stacklevel=2)
        print(f'WARNING: {message}', file=sys.stderr)


def load_url(url: str,
             model_dir: Optional[str] = None,
             map_location: Any = None,
             progress: bool = True,
             check_hash: bool = False,
             file_name: Optional[str] = None,
             weights_only: bool = True) -> dict:
    """``torch.hub.load_state_dict_from_url``, read by the safe reader.

    The file is cached in ``model_dir`` (default ``<hub dir>/checkpoints``)
    and reused when present; ``weights_only`` is accepted and ignored. A
    failed download raises a :class:`CheckpointError` naming the URL, the
    cache path, the release page of an official file and the override that
    trains a backbone from scratch.
    """
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    os.makedirs(model_dir, exist_ok=True)
    name = file_name or osp.basename(urlparse(url).path)
    if not name:
        from mmcnn.utils.pretrained import share_page_advice
        raise CheckpointError(
            f'Cannot download checkpoint {url}: its path names no file to '
            'cache it as (a share page, not a file URL?). ' +
            share_page_advice(url))
    cached = osp.join(model_dir, name)
    if not osp.exists(cached):
        prefix = None
        if check_hash:
            match = torch.hub.HASH_REGEX.search(name)
            prefix = match.group(1) if match else None
        try:
            torch.hub.download_url_to_file(url, cached, prefix,
                                           progress=progress)
        except (URLError, OSError, RuntimeError) as err:
            from mmcnn.utils.pretrained import download_failed_advice
            raise CheckpointError(
                f'Cannot download checkpoint {url} to {cached}: {err}. ' +
                download_failed_advice(url, cached)) from None
    return load_checkpoint_file(cached, map_location)


def load_from_http(filename: str,
                   map_location: Any = None,
                   model_dir: Optional[str] = None,
                   progress: bool = os.isatty(0)) -> dict:
    """mmengine's ``http(s)://`` scheme: rank 0 downloads first."""
    from mmengine.dist import barrier, get_dist_info
    rank, world_size = get_dist_info()
    if rank == 0:
        checkpoint = load_url(filename, model_dir, map_location, progress)
    if world_size > 1:
        barrier()
        if rank > 0:
            checkpoint = load_url(filename, model_dir, map_location, progress)
    return checkpoint


def load_from_local(filename: str, map_location: Any = None) -> dict:
    """mmengine's scheme for local paths."""
    return load_checkpoint_file(osp.expanduser(filename), map_location)


def _unsafe_request(weights_only: Optional[bool],
                    pickle_module: Any) -> Optional[str]:
    """Why a ``torch.load`` call would unpickle without restrictions."""
    if weights_only is True:
        return None
    if weights_only is False:
        return 'weights_only=False'
    if pickle_module is not None:
        return 'a pickle_module'
    if unsafe_env_set():
        return f'{UNSAFE_ENV}'
    return None


def guarded_torch_load(f: Any,
                       map_location: Any = None,
                       pickle_module: Any = None,
                       *,
                       weights_only: Optional[bool] = None,
                       mmap: Optional[bool] = None,
                       **pickle_load_args: Any) -> Any:
    """``torch.load`` that never unpickles arbitrary objects: requests for
    full unpickling are served by mmcnn's safe reader."""
    reason = _unsafe_request(weights_only, pickle_module)
    if reason is None:
        return _TORCH_LOAD(f, map_location, pickle_module,
                           weights_only=weights_only, mmap=mmap,
                           **pickle_load_args)
    warnings.warn(
        f'torch.load was asked to unpickle {f!r:.120} without restrictions '
        f'({reason}); after import mmcnn it is read by mmcnn\'s safe '
        'checkpoint reader instead.', RuntimeWarning, stacklevel=2)
    if isinstance(f, os.PathLike):
        f = os.fspath(f)
    return load_checkpoint_file(f, map_location)


def _route_mmengine() -> None:
    """Point mmengine's local and http loaders, and every scheme reaching
    them, at the safe reader."""
    from mmengine.runner import checkpoint as mm_checkpoint
    from mmengine.runner.checkpoint import CheckpointLoader
    from mmengine.utils import dl_utils
    from mmengine.utils.dl_utils import hub
    replaced = {}
    for name, safe in (('load_from_local', load_from_local),
                       ('load_from_http', load_from_http)):
        original: Callable = getattr(mm_checkpoint, name)
        if original is not safe:
            replaced[original] = safe
            setattr(mm_checkpoint, name, safe)
    for module in (mm_checkpoint, dl_utils, hub):
        module.load_url = load_url
    for prefix, loader in list(CheckpointLoader._schemes.items()):
        if loader in replaced:
            CheckpointLoader._schemes[prefix] = replaced[loader]


@functools.lru_cache(maxsize=None)
def install() -> None:
    """Apply the policy once per process (see the module doc)."""
    torch.load = guarded_torch_load
    torch.serialization.load = guarded_torch_load
    torch.hub.load_state_dict_from_url = load_url
    _route_mmengine()
    warn_unsafe_env()

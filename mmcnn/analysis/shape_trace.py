"""JIT tracing on the meta device: the graph and shapes without the compute.

mmengine's analysis traces a real forward pass, which for a 2048x512
segmentation model costs about a teraFLOP on the CPU. FLOP counts depend on
shapes only, so :func:`meta_copy` and :class:`MetaTraceMode` let the same
tracer run on storage-less meta tensors: every op is executed by its meta
kernel with the tracer paused (meta kernels read sizes, which the tracer
would otherwise turn into traced tensors), while the tracer records the op
exactly as it does for real tensors. Convolutions are the one special case:
the tracer records ``aten::_convolution`` from inside ``aten::convolution``
(its tracer kernel does not record), so the mode re-issues that call with
the tracer enabled, as the CPU kernel would.

Models whose forward needs values (NMS, ``nonzero``, ``.item()``) or ops
without meta kernels (mmcv's compiled ops) raise; callers then trace on the
CPU instead.
"""
import contextlib
import copy
import itertools
from typing import Any, Dict, Iterator, Optional, Tuple

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

_TRACER_KEY = torch._C._parse_dispatch_key('Tracer')
_aten = torch.ops.aten


@contextlib.contextmanager
def _tracer_key_excluded(excluded: bool) -> Iterator[None]:
    """Set whether the tracer's dispatch key is excluded in this thread."""
    before = torch._C._dispatch_tls_is_dispatch_key_excluded(_TRACER_KEY)
    torch._C._dispatch_tls_set_dispatch_key_excluded(_TRACER_KEY, excluded)
    try:
        yield
    finally:
        torch._C._dispatch_tls_set_dispatch_key_excluded(_TRACER_KEY, before)


@contextlib.contextmanager
def _tracing_paused() -> Iterator[None]:
    """Run without a tracing state, so sizes read as plain integers."""
    state = torch._C._get_tracing_state()
    with _tracer_key_excluded(False):
        torch._C._set_tracing_state(None)
    try:
        yield
    finally:
        with _tracer_key_excluded(False):
            torch._C._set_tracing_state(state)


class MetaTraceMode(TorchDispatchMode):
    """Executes every op on meta tensors, outside the tracer's view."""

    def __torch_dispatch__(self,
                           func: Any,
                           types: Tuple[type, ...],
                           args: Tuple[Any, ...] = (),
                           kwargs: Optional[Dict[str, Any]] = None) -> Any:
        kwargs = kwargs or {}
        if func is _aten.convolution.default:
            # benchmark, deterministic, cudnn_enabled, allow_tf32: the
            # flags the CPU kernel passes; the FLOP handle reads none.
            with _tracer_key_excluded(False), self:
                return _aten._convolution.default(*args, False, False, True,
                                                  True)
        if func is _aten._convolution.default:
            func, args = _aten.convolution.default, args[:9]
        with _tracing_paused():
            return func(*args, **kwargs)


def _meta_tensor(tensor: torch.Tensor) -> torch.Tensor:
    meta = tensor.detach().to('meta')
    if isinstance(tensor, nn.Parameter):
        return nn.Parameter(meta, requires_grad=tensor.requires_grad)
    return meta


def meta_copy(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` with its parameters and buffers on the meta
    device (no storage is copied); ``model`` itself is left as it was."""
    memo = {
        id(tensor): _meta_tensor(tensor)
        for tensor in itertools.chain(model.parameters(), model.buffers())
    }
    return copy.deepcopy(model, memo)

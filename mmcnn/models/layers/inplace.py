"""In-place forms of element-wise steps for inference.

On the CPU a fresh output of tens of megabytes often costs as much as the
arithmetic that fills it (new pages from the allocator), so inference
paths write element-wise results over a tensor nothing else reads. These
helpers do that only when autograd is off (``torch.no_grad`` or
``torch.inference_mode``), where no saved tensor can be overwritten.
"""
import torch
import torch.nn.functional as F
from torch import nn


def inference_mode_on() -> bool:
    """True when autograd records nothing, so fresh tensors may be
    overwritten."""
    return not torch.is_grad_enabled()


def activate_(act: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``act(x)``, written over ``x`` for GELU, SiLU and ReLU when autograd
    is off (``x`` must be a fresh tensor); ``act(x)`` otherwise."""
    if inference_mode_on():
        if isinstance(act, nn.GELU):
            return torch.ops.aten.gelu_(x, approximate=act.approximate)
        if isinstance(act, nn.SiLU):
            return F.silu(x, inplace=True)
        if isinstance(act, nn.ReLU):
            return F.relu(x, inplace=True)
    return act(x)


def residual_add(shortcut: torch.Tensor,
                 branch: torch.Tensor) -> torch.Tensor:
    """``shortcut + branch``, written over ``branch`` (a fresh tensor of
    the same shape) when autograd is off."""
    if inference_mode_on():
        return branch.add_(shortcut)
    return shortcut + branch


def mul_(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``x * y``, written over ``x`` (a fresh tensor of the result's shape)
    when autograd is off."""
    if inference_mode_on():
        return x.mul_(y)
    return x * y


def addcmul_(acc: torch.Tensor, t1: torch.Tensor, t2: torch.Tensor,
             value: float = 1.) -> torch.Tensor:
    """``acc + value * t1 * t2`` (one fused step), written over ``acc`` (a
    fresh tensor of the result's shape) when autograd is off."""
    if inference_mode_on():
        return acc.addcmul_(t1, t2, value=value)
    return torch.addcmul(acc, t1, t2, value=value)


def scaled_residual_add(shortcut: torch.Tensor, branch: torch.Tensor,
                        scale: torch.Tensor) -> torch.Tensor:
    """``shortcut + scale * branch``: written over ``branch`` (a fresh
    tensor of the result's shape) as a scale then an add when autograd is
    off, one fused ``addcmul`` otherwise."""
    if inference_mode_on():
        return branch.mul_(scale).add_(shortcut)
    return torch.addcmul(shortcut, scale, branch)

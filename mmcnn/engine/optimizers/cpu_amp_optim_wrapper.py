"""Mixed-precision training on the CPU: bfloat16 autocast.

mmengine's ``AmpOptimWrapper`` refuses to start without a GPU (``is only
available training on gpu, npu, mlu or musa``). On the CPU, torch's autocast
runs convolutions, linear layers and matrix products in bfloat16 and keeps
numerically sensitive ops (losses, norms, softmax, reductions) in float32.
bfloat16 has float32's exponent range, so no loss scaling is needed: the
gradients reach the float32 parameters unscaled and the optimizer steps as
usual. ``tools/train.py --amp`` picks this wrapper when CUDA is absent.

The task heads' outputs (every module whose class name ends in ``Head``)
are cast back to float32, so that losses and the libraries' bookkeeping
run on float32 (mmpose's heatmap accuracy goes through numpy, which has no
bfloat16). Two adjustments make the backbones train correctly under
autocast:

* mmcnn's depth-wise convolutions run their plain channels-last oneDNN
  kernel (``force_algorithm('channels_last')``), which autocast and
  autograd handle natively: the custom-gradient algorithms
  (``'channels_last_wgrad'``, ``'fft'``) compute their backward pass in the
  weight's dtype and fail on bfloat16 gradients.
* dilated depth-wise convolutions (MogaNet's multi-order convolutions,
  for one) run on NCHW inputs: torch 2.9's CPU kernel computes wrong,
  often huge or non-finite, bfloat16 weight gradients for them on
  channels-last inputs (relative errors of 1 to 1e18 against float64,
  where NCHW gives 5e-3; ``tests/test_cpu_amp.py`` holds the
  reproduction). Float32, undilated and non-depth-wise convolutions are
  unaffected.
"""
import functools
import logging
from contextlib import ExitStack, contextmanager
from typing import Any, Callable, Iterator, Optional, Union

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from torch import nn

from mmcnn.models.layers.dwconv import force_algorithm
from mmcnn.registry import OPTIM_WRAPPERS


def cpu_has_native_bf16() -> bool:
    """Whether the CPU computes bfloat16 natively (AVX512-BF16 or AMX);
    elsewhere bfloat16 autocast works but is usually slower than float32."""
    checks = ('_is_avx512_bf16_supported', '_is_amx_tile_supported')
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def is_dilated_depthwise(module: nn.Module) -> bool:
    """A 2-d convolution with one group per input channel and a dilation
    above 1 (the case torch's bfloat16 channels-last kernel gets wrong)."""
    return (isinstance(module, nn.Conv2d)
            and module.groups == module.in_channels > 1
            and max(module.dilation) > 1)


def to_float32(value: Any) -> Any:
    """``value`` with its bfloat16 tensors (also inside tuples, lists and
    dicts) cast to float32."""
    if isinstance(value, torch.Tensor):
        return value.float() if value.dtype == torch.bfloat16 else value
    if isinstance(value, (tuple, list)):
        return type(value)(to_float32(v) for v in value)
    if isinstance(value, dict):
        return type(value)((k, to_float32(v)) for k, v in value.items())
    return value


def _float32_forward(forward: Callable[..., Any], *args: Any,
                     **kwargs: Any) -> Any:
    """``forward(*args, **kwargs)`` with float32 in place of bfloat16 in
    its output."""
    return to_float32(forward(*args, **kwargs))


def _nchw_conv(module: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """``module``'s convolution on the NCHW-contiguous copy of ``x``."""
    return nn.Conv2d._conv_forward(module, x.contiguous(), module.weight,
                                   module.bias)


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """:class:`OptimWrapper` whose forward (``optim_context``) runs under
    ``torch.autocast('cpu', dtype=torch.bfloat16)``.

    Args:
        dtype (str or torch.dtype): the autocast type; only ``bfloat16``
            (CPU autocast of float16 would need loss scaling).
        loss_scale: accepted for configs written for ``AmpOptimWrapper``
            and ignored: bfloat16 needs no loss scaling.
        **kwargs: passed to :class:`OptimWrapper`.
    """

    def __init__(self,
                 dtype: Union[str, torch.dtype] = 'bfloat16',
                 loss_scale: Optional[object] = None,
                 **kwargs) -> None:
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype, None)
        if dtype is not torch.bfloat16:
            raise ValueError(
                'CPUAmpOptimWrapper autocasts to bfloat16 only (float16 on '
                f'the CPU would need loss scaling); got dtype={dtype!r}.')
        super().__init__(**kwargs)
        self.cast_dtype = dtype
        if not cpu_has_native_bf16():
            print_log(
                'CPUAmpOptimWrapper: this CPU has no native bfloat16 '
                '(AVX512-BF16 or AMX); mixed precision will work but may be '
                'slower than float32.', logger='current',
                level=logging.WARNING)

    @contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        """Gradient-accumulation context of :class:`OptimWrapper`, with the
        forward pass under CPU bfloat16 autocast (depth-wise convolutions
        on their autocast-aware channels-last kernel, dilated ones on
        NCHW inputs; float32 head outputs)."""
        with ExitStack() as stack:
            stack.enter_context(super().optim_context(model))
            stack.enter_context(force_algorithm('channels_last'))
            for module in model.modules():
                if 'forward' in vars(module):
                    continue
                if is_dilated_depthwise(module):
                    module.forward = functools.partial(_nchw_conv, module)
                elif type(module).__name__.endswith('Head'):
                    # heads call self.forward() directly in their loss(),
                    # past forward hooks
                    module.forward = functools.partial(
                        _float32_forward, module.forward)
                else:
                    continue
                stack.callback(delattr, module, 'forward')
            stack.enter_context(
                torch.autocast(device_type='cpu', dtype=self.cast_dtype))
            yield

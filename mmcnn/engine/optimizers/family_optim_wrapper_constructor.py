"""The backbone family's parameter-wise rule under a config's own.

Each family states the parameter-wise options of its official detection and
segmentation recipes on its backbone class (``paramwise_cfg``, e.g.
ConvNeXt's no weight decay on its ``.gamma`` layer scales), so a config
names no family key and the engine imports no backbone.
"""
import copy
from typing import Mapping, Optional

from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch import nn

from mmcnn.registry import OPTIM_WRAPPER_CONSTRUCTORS


def join_paramwise(family: Mapping, config: Optional[Mapping]) -> dict:
    """``config``'s ``paramwise_cfg`` over ``family``'s: the config's
    options win, and the two ``custom_keys`` are joined (the config's entry
    wins for a key in both)."""
    joined = copy.deepcopy(dict(family))
    for key, value in (config or {}).items():
        if key == 'custom_keys':
            joined[key] = {**joined.get(key, {}), **copy.deepcopy(value)}
        else:
            joined[key] = copy.deepcopy(value)
    return joined


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class FamilyOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor, with ``type(model.backbone)
    .paramwise_cfg`` (the backbone family's rule, when it has one) joined
    under the config's ``paramwise_cfg`` by :func:`join_paramwise`.

    Example::

        optim_wrapper = dict(
            constructor='mmcnn.FamilyOptimWrapperConstructor',
            optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
            paramwise_cfg=dict(norm_decay_mult=0.))
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        inner = model.module if is_model_wrapper(model) else model
        family = getattr(getattr(inner, 'backbone', None), 'paramwise_cfg',
                         None)
        if family:
            self.paramwise_cfg = join_paramwise(family, self.paramwise_cfg)
            self._validate_cfg()
            print_log(
                f'{type(inner.backbone).__name__} parameter-wise rule '
                f'joined: {self.paramwise_cfg}', logger='current')
        return super().__call__(model)

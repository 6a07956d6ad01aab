"""Layer-wise learning-rate decay for fine-tuning backbones.

Every backbone parameter gets a layer id in ``0 .. num_layers`` from the
rule of its backbone family, ``backbone.layer_id(name, num_layers,
decay_type)``; all other parameters (neck, heads) get
``num_layers + 1``. A parameter of layer ``i`` trains with the learning
rate ``lr * decay_rate ** (num_layers + 1 - i)``, so the heads keep ``lr``
and the stem gets the smallest rate (BEiT / ConvNeXt recipe).

A family defines its rule on its backbone class
(``ConvNetBackbone.layer_id`` and ``lr_decay_types``), so the engine
imports no backbone; mmdet's and mmseg's own constructors only know
ConvNeXt's parameter names.
:class:`StageDecayOptimWrapperConstructor` applies the families'
``'stage_wise'`` rules instead (ConvNeXt's segmentation recipe).
"""
from typing import Dict, List, Optional, Tuple

from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

from mmcnn.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Optimizer wrapper with layer-wise lr decay over ``model.backbone``.

    ``paramwise_cfg`` takes exactly two keys: ``num_layers`` (how many
    layer ids the backbone rule spreads over, e.g. 12) and ``decay_rate``
    (lr ratio of neighbouring layers, e.g. 0.8). Parameters that are 1-D
    once squeezed (biases, norms, layer scales, element scales) or named
    ``*.bias`` get no weight decay; frozen parameters are left out.

    Example::

        optim_wrapper = dict(
            optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
            constructor='mmcnn.LayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(num_layers=12, decay_rate=0.8))
    """

    decay_type = 'layer_wise'

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        keys = set(self.paramwise_cfg)
        if keys != {'num_layers', 'decay_rate'}:
            raise KeyError(
                'LayerDecayOptimWrapperConstructor needs paramwise_cfg with '
                f'exactly num_layers and decay_rate, got {sorted(keys)}.')
        self.num_layers = int(self.paramwise_cfg['num_layers'])
        self.decay_rate = float(self.paramwise_cfg['decay_rate'])
        if self.num_layers < 1 or not 0. < self.decay_rate <= 1.:
            raise ValueError(
                'num_layers must be >= 1 and decay_rate in (0, 1], got '
                f'{self.num_layers} and {self.decay_rate}.')

    def layer_id(self, name: str, backbone: nn.Module) -> int:
        """Layer id of the model parameter ``name``: its backbone's rule,
        ``num_layers + 1`` outside the backbone."""
        if not name.startswith('backbone.'):
            return self.num_layers + 1
        layer_id = backbone.layer_id(name[len('backbone.'):],
                                     self.num_layers, self.decay_type)
        if not 0 <= layer_id <= self.num_layers + 1:
            raise ValueError(
                f'{type(backbone).__name__}.layer_id gave {name} the layer '
                f'id {layer_id}, outside 0..{self.num_layers + 1}.')
        return layer_id

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   is_dcn_module: Optional[float] = None) -> None:
        """Append one param group per (layer id, weight decay or not).

        ``module`` is the whole model; it must have a ``backbone``.
        """
        backbone = getattr(module, 'backbone', None)
        if not isinstance(backbone, nn.Module):
            raise AttributeError(
                'Layer-wise lr decay needs a model with a `backbone` '
                f'submodule; {type(module).__name__} has none.')
        if not callable(getattr(backbone, 'layer_id', None)):
            raise TypeError(
                f'{type(backbone).__name__} has no layer_id(name, '
                'num_layers, decay_type) method: lr decay needs an mmcnn '
                'backbone (a ConvNetBackbone) or one that defines its rule.')
        groups: Dict[Tuple[int, bool], dict] = {}
        for name, param in module.named_parameters():
            if not param.requires_grad:
                continue
            layer_id = self.layer_id(name, backbone)
            no_decay = param.squeeze().dim() <= 1 or name.endswith('.bias')
            key = (layer_id, no_decay)
            if key not in groups:
                scale = self.decay_rate ** (self.num_layers + 1 - layer_id)
                groups[key] = dict(
                    params=[], lr=self.base_lr * scale, lr_scale=scale,
                    layer_id=layer_id)
                if no_decay:
                    groups[key]['weight_decay'] = 0.
                elif self.base_wd is not None:
                    groups[key]['weight_decay'] = self.base_wd
            groups[key]['params'].append(param)
        for (layer_id, no_decay), group in sorted(groups.items()):
            print_log(
                f'layer-wise lr decay: layer {layer_id}, '
                f'{len(group["params"])} tensors, '
                f'lr x{group["lr_scale"]:.4g}, '
                f'{"no " if no_decay else ""}weight decay', logger='current')
            params.append(group)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class StageDecayOptimWrapperConstructor(LayerDecayOptimWrapperConstructor):
    """Stage-wise lr decay: the backbone family's ``'stage_wise'`` rule
    (``backbone.layer_id(name, num_layers, 'stage_wise')``) gives each
    parameter its id (ConvNeXt's: one id per stage, all
    downsampling layers at 0); ``paramwise_cfg`` and weight decay as in
    :class:`LayerDecayOptimWrapperConstructor`."""

    decay_type = 'stage_wise'

"""Layer-wise learning-rate decay for fine-tuning backbones.

Every backbone parameter gets a layer id in ``0 .. num_layers`` from the
rule of its backbone family; all other parameters (neck, heads) get
``num_layers + 1``. A parameter of layer ``i`` trains with the learning
rate ``lr * decay_rate ** (num_layers + 1 - i)``, so the heads keep ``lr``
and the stem gets the smallest rate (BEiT / ConvNeXt recipe).

A family plugs in its rule with :func:`register_layer_id_rule`, by class or
by its name in :data:`mmcnn.registry.MODELS` (so the engine imports no
backbone); mmdet's and mmseg's own constructors only know ConvNeXt's
parameter names.
:class:`StageDecayOptimWrapperConstructor` applies the families'
``'stage_wise'`` rules instead (ConvNeXt's segmentation recipe).
"""
import re
from typing import Callable, Dict, List, Optional, Tuple, Type, Union

from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

from mmcnn.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS

LayerIdRule = Callable[[str, int], int]
# A backbone class, or the name it is registered under in mmcnn's MODELS.
Backbone = Union[Type[nn.Module], str]
DECAY_TYPES = ('layer_wise', 'stage_wise')
_LAYER_ID_RULES: Dict[Tuple[Backbone, str], LayerIdRule] = {}


def _class(backbone: Backbone) -> Type[nn.Module]:
    return MODELS.get(backbone) if isinstance(backbone, str) else backbone


def _name(backbone: Backbone) -> str:
    return backbone if isinstance(backbone, str) else backbone.__name__


def register_layer_id_rule(
        *backbones: Backbone,
        decay_type: str = 'layer_wise'
) -> Callable[[LayerIdRule], LayerIdRule]:
    """Register ``rule(name, num_layers) -> layer id`` for backbone classes
    (or their names in :data:`mmcnn.registry.MODELS`).

    ``name`` is the parameter name inside the backbone (for MogaNet e.g.
    ``'blocks3.4.mlp.fc1.weight'``); the id must lie in
    ``0 .. num_layers + 1``. Subclasses of a registered class share its
    rule unless they register their own. ``decay_type`` names the scheme:
    ``'layer_wise'`` (:class:`LayerDecayOptimWrapperConstructor`) or
    ``'stage_wise'`` (:class:`StageDecayOptimWrapperConstructor`).
    """
    if decay_type not in DECAY_TYPES:
        raise ValueError(f'decay_type must be one of {DECAY_TYPES}, got '
                         f'{decay_type!r}.')

    def register(rule: LayerIdRule) -> LayerIdRule:
        for backbone in backbones:
            if (backbone, decay_type) in _LAYER_ID_RULES:
                raise KeyError(
                    f'{_name(backbone)} already has the layer-id rule '
                    f'{_LAYER_ID_RULES[backbone, decay_type].__name__}.')
            _LAYER_ID_RULES[backbone, decay_type] = rule
        return rule

    return register


def get_layer_id_rule(backbone: nn.Module,
                      decay_type: str = 'layer_wise') -> LayerIdRule:
    """The ``decay_type`` rule registered for ``backbone``'s class or
    nearest base."""
    rules = {_class(key): rule
             for (key, kind), rule in _LAYER_ID_RULES.items()
             if kind == decay_type}
    for cls in type(backbone).__mro__:
        if cls in rules:
            return rules[cls]
    known = ', '.join(sorted(
        _name(key) for key, kind in _LAYER_ID_RULES if kind == decay_type))
    raise KeyError(
        f'No {decay_type.replace("_", "-")} lr decay rule for '
        f'{type(backbone).__name__}; rules exist for: {known}. Register one '
        'with mmcnn.engine.register_layer_id_rule.')


_MOGANET_NAME = re.compile(r'(patch_embed|blocks)([1-4])\.(\d+)?')


@register_layer_id_rule('MogaNet')
def moganet_layer_id(name: str, num_layers: int) -> int:
    """MogaNet's official rule for its four stages.

    ``patch_embed1`` -> 0; ``blocks1`` -> 2; ``patch_embed2`` and
    ``blocks2`` -> 3; ``patch_embed3`` -> 4; ``blocks3.j`` ->
    ``min(3 + j // 2, num_layers - 1)``; ``patch_embed4`` and ``blocks4``
    -> ``num_layers``. As in the official code, the stage norms ``norm{i}``
    match no rule and train at the full rate with the neck and heads.
    """
    match = _MOGANET_NAME.match(name)
    if match is None:
        return num_layers + 1
    kind, stage = match.group(1), int(match.group(2))
    if stage == 4:
        return num_layers
    if kind == 'patch_embed':
        return 0 if stage == 1 else stage + 1
    if stage == 3:
        return min(3 + int(match.group(3)) // 2, num_layers - 1)
    return stage + 1


_CONVNEXT_NAME = re.compile(r'(downsample_layers|stages)\.([0-3])\.(\d+)')


def _convnext_layout_id(name: str, num_layers: int,
                        stage3_block_id: Callable[[int], int]) -> int:
    """Layer id in ConvNeXt's layout: ``downsample_layers.0`` -> 0;
    ``stages.0`` -> 1; ``downsample_layers.1`` and ``stages.1`` -> 2;
    ``downsample_layers.2`` -> 3; block ``j`` of ``stages.2`` ->
    ``stage3_block_id(j)``; ``downsample_layers.3`` and ``stages.3`` ->
    ``num_layers``; any other name -> ``num_layers + 1``."""
    match = _CONVNEXT_NAME.match(name)
    if match is None:
        return num_layers + 1
    kind, stage, index = match.group(1), int(match.group(2)), match.group(3)
    if stage == 3:
        return num_layers
    if kind == 'downsample_layers':
        return 0 if stage == 0 else stage + 1
    if stage == 2:
        return stage3_block_id(int(index))
    return stage + 1


@register_layer_id_rule('ConvNeXt', 'SLaK', 'UniRepLKNet')
def convnext_layer_id(name: str, num_layers: int) -> int:
    """ConvNeXt's official layer-wise rule (its detection fine-tuning),
    also used by the official SLaK and UniRepLKNet downstream code.

    ``downsample_layers.0`` -> 0; ``stages.0`` -> 1; ``downsample_layers.1``
    and ``stages.1`` -> 2; ``downsample_layers.2`` -> 3; ``stages.2.j`` ->
    ``3 + j // 3``; ``downsample_layers.3`` and ``stages.3`` ->
    ``num_layers``. The output norms ``norm{i}`` match no rule and train at
    the full rate with the neck and heads. ConvNeXt V2 shares the rule.
    """
    return _convnext_layout_id(name, num_layers, lambda j: 3 + j // 3)


@register_layer_id_rule('HorNet')
def hornet_layer_id(name: str, num_layers: int) -> int:
    """HorNet's official layer-wise rule (its detection fine-tuning).

    ConvNeXt's layout, but stage 3 advances one layer every two blocks:
    ``downsample_layers.0`` -> 0; ``stages.0`` -> 1; ``downsample_layers.1``
    and ``stages.1`` -> 2; ``downsample_layers.2`` -> 3; ``stages.2.j`` ->
    ``min(3 + j // 2, num_layers - 1)``; ``downsample_layers.3`` and
    ``stages.3`` -> ``num_layers``. The output norms ``norm{i}`` train at
    the full rate with the neck and heads.
    """
    return _convnext_layout_id(name, num_layers,
                               lambda j: min(3 + j // 2, num_layers - 1))


@register_layer_id_rule(
    'ConvNeXt', 'HorNet', 'SLaK', 'UniRepLKNet', decay_type='stage_wise')
def convnext_stage_id(name: str, num_layers: int) -> int:
    """ConvNeXt's official stage-wise rule (its segmentation fine-tuning),
    which HorNet's segmentation code uses as well.

    Every ``downsample_layers.*`` -> 0; ``stages.i`` -> ``i + 1``; the rest
    (output norms, neck, heads) -> ``num_layers + 1``.
    """
    match = _CONVNEXT_NAME.match(name)
    if match is None:
        return num_layers + 1
    if match.group(1) == 'downsample_layers':
        return 0
    return int(match.group(2)) + 1


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

    def layer_id(self, name: str, rule: LayerIdRule) -> int:
        """Layer id of the model parameter ``name``."""
        if not name.startswith('backbone.'):
            return self.num_layers + 1
        layer_id = rule(name[len('backbone.'):], self.num_layers)
        if not 0 <= layer_id <= self.num_layers + 1:
            raise ValueError(
                f'{rule.__name__} gave {name} the layer id {layer_id}, '
                f'outside 0..{self.num_layers + 1}.')
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
        rule = get_layer_id_rule(backbone, self.decay_type)
        groups: Dict[Tuple[int, bool], dict] = {}
        for name, param in module.named_parameters():
            if not param.requires_grad:
                continue
            layer_id = self.layer_id(name, rule)
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
    gives each parameter its id (ConvNeXt's: one id per stage, all
    downsampling layers at 0); ``paramwise_cfg`` and weight decay as in
    :class:`LayerDecayOptimWrapperConstructor`."""

    decay_type = 'stage_wise'

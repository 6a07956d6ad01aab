"""The contract every mmcnn backbone follows.

``arch`` (a name from the family's ``arch_zoo`` or a custom dict),
``out_indices``, ``frozen_stages``, ``norm_eval`` and ``init_cfg`` behave
the same way in every family, as in mmpretrain and mmdet:

* ``out_indices``: which of the ``num_stages`` stage outputs ``forward``
  returns (negative indices count from the end);
* ``frozen_stages``: stages ``1..frozen_stages`` (with their stem or
  downsampling layer) get ``requires_grad=False`` and are kept in eval mode,
  also after ``model.train()``; ``0`` or ``-1`` freezes nothing;
* ``norm_eval``: batch-norm layers stay in eval mode during training;
* ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=...)``: loads an
  official or mmcnn checkpoint through the family's checkpoint filter with
  weights-only unpickling, and logs what was loaded and every tensor that
  was not, with the reason.

One rule decides what happens to the official classifier's tensors
(:meth:`ConvNetBackbone.split_classifier`): its head is never loaded; its
final norm is loaded only into the classification form
(:attr:`ConvNetBackbone.classifier_form`, e.g. ``gap_before_final_norm``),
as the last stage's output norm, where the official classifier applies it.
The dense-prediction form computes what the official detection and
segmentation backbones compute on the released file: they build their
output norms ``norm0``..``norm3`` fresh and load with ``strict=False``, so
the classifier's norm is left out and ``norm3`` stays at weight 1, bias 0.

A family's lr decay rules for fine-tuning live on its class too
(:meth:`ConvNetBackbone.layer_id`, as mmpretrain's ``get_layer_depth``), and
so does the parameter-wise rule of its official dense-prediction recipes
(:attr:`ConvNetBackbone.paramwise_cfg`, e.g. no weight decay on layer
scales), so the engine's constructors import no backbone.
"""
import re
from numbers import Integral
from types import MappingProxyType
from typing import (Any, Callable, Dict, Iterable, List, Mapping, Optional,
                    Sequence, Tuple, TypedDict, Union)

import torch
from mmengine.model import BaseModule
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmcnn.registry import MODELS
from mmcnn.utils.checkpoint import (Converted, DroppedGroup, StateDict,
                                    load_pretrained)
from ..layers.layout import to_channels_last
from .checkpoint_keys import Flatten, KeyTable, flatten_values, rename_keys


CLASSIFIER_NORM = 'classifier norm'
"""The name of the group the classifier's final norm is dropped in."""

LR_DECAY_TYPES = ('layer_wise', 'stage_wise')
"""The lr decay schemes: ids per layer (mmcnn's
``LayerDecayOptimWrapperConstructor``) or per stage
(``StageDecayOptimWrapperConstructor``)."""

_CONVNEXT_NAME = re.compile(r'(downsample_layers|stages)\.([0-3])\.(\d+)')


class BackboneArgs(TypedDict, total=False):
    """The contract's arguments, which every family passes on to
    :class:`ConvNetBackbone` as keywords (``**common``)."""

    in_channels: int
    out_indices: Union[int, Sequence[int]]
    frozen_stages: int
    norm_eval: bool
    channels_last: Optional[bool]
    init_cfg: Optional[Union[dict, List[dict]]]


def no_weight_decay(*keys: str) -> Dict[str, dict]:
    """A ``paramwise_cfg`` that trains the parameters whose names contain
    one of ``keys`` without weight decay (mmengine's ``custom_keys``)."""
    return dict(custom_keys={key: dict(decay_mult=0.) for key in keys})


def _is_int(value: Any) -> bool:
    """Whether ``value`` is an integer (numpy's included), not a bool."""
    return isinstance(value, Integral) and not isinstance(value, bool)


class ConvNetBackbone(BaseModule):
    """Base class of mmcnn's hierarchical backbones.

    Subclasses define ``arch_zoo`` and ``arch_keys``, build their layers,
    name them in ``stem_name``, ``stage_names`` and ``output_norm_name``
    (the layout :meth:`stage_modules`, :meth:`run_stage` and
    :meth:`forward` follow), declare their official classifier's keys
    (``classifier_head_prefixes``, ``classifier_norm_prefixes``) and how
    their official, timm and mmpretrain checkpoints map to their keys
    (``checkpoint_tables``, ``checkpoint_reshapes``, and
    :meth:`adapt_tensor` for tensors that must be resized).

    The arguments every family takes mean the same everywhere (those of
    :class:`BackboneArgs` pass through a family's ``**common``):

    * ``arch``: a name from the family's ``arch_zoo`` or a dict with its
      ``arch_keys`` (one entry per stage);
    * ``in_channels``: input image channels;
    * ``out_indices``: stages whose outputs ``forward`` returns;
    * ``frozen_stages``: freeze stages ``1..frozen_stages`` (with the stem
      or downsampling that opens them);
    * ``norm_eval``: keep batch norms in eval mode while training (kept
      for the common interface in families without any);
    * ``drop_rate``: dropout in the MLPs; ``drop_path_rate``: stochastic
      depth, rising linearly per block (:func:`drop_path_rates`);
    * ``deploy``: build the inference form of :meth:`switch_to_deploy`
      (norms and scales folded into the convs), which loads a checkpoint
      written by ``tools/deploy/reparameterize.py``;
    * ``with_cp``: gradient checkpointing of every block while training;
    * ``channels_last``: run the layers on channels-last tensors (the
      input is converted once; shapes are unchanged): ``None`` on CPUs,
      where oneDNN's kernels are faster in it;
    * ``init_cfg``: initialisation, e.g. ``dict(type='Pretrained',
      checkpoint=...)``.
    """

    arch_zoo: Dict[str, dict] = {}
    arch_keys: Tuple[str, ...] = ()
    gap_before_final_norm: bool = False
    """The classification form of the families whose
    :attr:`classifier_form_arg` it is: each output stage ``i`` returns
    ``norm{i}(GAP(x))`` as ``(N, C)`` vectors, the official classifier's
    order (pool, then LayerNorm), instead of a normalised map, and ``norm3``
    loads the classifier's ``norm`` (the dense form starts it fresh)."""
    classifier_head_prefixes: Tuple[str, ...] = ('head.', )
    """Key prefixes of the official classifier's head (never loaded)."""
    classifier_norm_prefixes: Tuple[str, ...] = ()
    """Key prefixes of the official classifier's final norm (``norm.``,
    timm's ``head.norm.``); empty when the classifier has none of its own.
    Matched before ``classifier_head_prefixes``."""
    classifier_head: Dict[str, float] = {}
    """The official classifier's layers beyond global average pooling and
    a linear layer, as the papers count them (``mmcnn.analysis``'s
    ``BackboneClassifier`` arguments): ``mlp_ratio``, an MLP of that width
    ratio with a LayerNorm before the linear layer; ``conv_scale``, a 1x1
    conv + BN + GELU to that width ratio before the pooling. Empty for
    GAP + linear."""
    classifier_norm_pooled: bool = True
    """Whether the official classifier applies that norm after global
    pooling (else to the last stage's map, before pooling)."""
    classifier_form_arg: Optional[str] = None
    """The constructor argument that builds the classification form
    (``'gap_before_final_norm'``, or ``'classifier_form'`` where the
    official classifier normalises the map before pooling); None where the
    family has none."""
    extra_dropped: Tuple[Tuple[str, Tuple[str, ...], str], ...] = ()
    """Other release-file tensors that are not part of the backbone, as
    ``(what, key prefixes, reason)``."""
    checkpoint_tables: Tuple[KeyTable, ...] = ()
    """The renames of each checkpoint layout this family reads (official,
    timm, mmpretrain), applied by :meth:`rename_checkpoint`; none where
    the checkpoints have mmcnn's keys."""
    checkpoint_reshapes: Tuple[Flatten, ...] = ()
    """Tensors the checkpoints store with extra unit dimensions (1x1-conv
    weights of linear layers, ``(1, 1, 1, C)`` GRN parameters), flattened
    by :meth:`rename_checkpoint` after the renames."""
    stem_name: Optional[str] = None
    """The module that runs before stage 0 and belongs to it, if any."""
    stage_names: Tuple[str, ...] = ('downsample_layers.{i}', 'stages.{i}')
    """The modules of stage ``i``, in the order they run: names with
    ``{i}`` (0-based index) or ``{n}`` (1-based); missing ones are
    skipped."""
    output_norm_name: Optional[str] = 'norm{i}'
    """The norm applied to stage ``i``'s output only (not to the map that
    feeds the next stage), if the family has one."""
    channels_last_maps: bool = False
    """Whether the stages pass ``(N, H, W, C)`` maps (the outputs are
    returned as contiguous ``(N, C, H, W)``)."""
    scratch_init: Optional[Callable[[nn.Module], None]] = None
    """The family's official from-scratch initialisation of the model's
    layers (e.g. :func:`~mmcnn.models.layers.init.init_trunc_normal`, as a
    ``staticmethod``); None keeps the layers' own."""
    lr_decay_types: Tuple[str, ...] = ()
    """The decay types of :data:`LR_DECAY_TYPES` that :meth:`layer_id`
    defines for this family; empty where it has no lr decay rule."""
    paramwise_cfg: Mapping[str, Any] = MappingProxyType({})
    """The parameter-wise optimiser options of the family's official
    detection and segmentation recipes (mmengine's ``paramwise_cfg``, e.g.
    :func:`no_weight_decay` on its layer scales), which
    ``mmcnn.FamilyOptimWrapperConstructor`` puts under a config's own;
    empty where the recipes have none."""
    deploy: bool = False
    """Whether the model is in its inference form (:meth:`switch_to_deploy`
    or ``deploy=True``)."""

    def __init__(self,
                 arch: Union[str, dict],
                 out_indices: Union[int, Sequence[int]] = (0, 1, 2, 3),
                 frozen_stages: int = 0,
                 norm_eval: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None,
                 channels_last: Optional[bool] = None,
                 in_channels: int = 3) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.channels_last = channels_last
        self.arch_settings = self.resolve_arch(arch)
        self.num_stages = len(self.arch_settings[self.arch_keys[0]])
        self.out_indices = self._check_out_indices(out_indices)
        if not _is_int(frozen_stages):
            raise TypeError(
                f'frozen_stages must be an int, got {frozen_stages!r} '
                f'({type(frozen_stages).__name__}): use -1 or 0 (nothing '
                f'frozen) up to {self.num_stages}.')
        if not -1 <= frozen_stages <= self.num_stages:
            raise ValueError(
                f'frozen_stages={frozen_stages} is out of range for '
                f'{type(self).__name__} with {self.num_stages} stages: use '
                f'-1 or 0 (nothing frozen) up to {self.num_stages}.')
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

    @classmethod
    def resolve_arch(cls, arch: Union[str, dict]) -> dict:
        """Return the settings of a named or custom architecture."""
        if isinstance(arch, str):
            name = arch.lower()
            if name not in cls.arch_zoo:
                raise KeyError(
                    f'Unknown {cls.__name__} arch {arch!r}. Valid names: '
                    f'{", ".join(sorted(cls.arch_zoo))}; or pass a dict with '
                    f'keys {list(cls.arch_keys)}.')
            return dict(cls.arch_zoo[name])
        if not isinstance(arch, dict):
            raise TypeError(f'arch must be a name or a dict, got {arch!r}.')
        missing = [k for k in cls.arch_keys if k not in arch]
        if missing:
            raise KeyError(
                f'Custom {cls.__name__} arch lacks keys {missing}; it needs '
                f'all of {list(cls.arch_keys)}.')
        lengths = {k: len(arch[k]) for k in cls.arch_keys}
        if len(set(lengths.values())) != 1:
            raise ValueError(
                f'Custom {cls.__name__} arch entries must have one value per '
                f'stage, got lengths {lengths}.')
        return dict(arch)

    def _check_out_indices(self, out_indices: Sequence[int]) -> List[int]:
        """Normalise ``out_indices`` to sorted non-negative stage indices.

        Raises:
            TypeError: not an int or a sequence of ints.
            ValueError: an index out of range.
        """
        if _is_int(out_indices):
            out_indices = [out_indices]
        entries = (list(out_indices) if isinstance(out_indices, Iterable)
                   and not isinstance(out_indices, (str, bytes)) else None)
        if entries is None or not all(_is_int(i) for i in entries):
            example = tuple(range(self.num_stages))
            raise TypeError(
                f'out_indices must be an int or a sequence of ints (stage '
                f'indices), e.g. {example}; got {out_indices!r}.')
        result = []
        for index in entries:
            if not -self.num_stages <= index < self.num_stages:
                raise ValueError(
                    f'out_indices entry {index} is out of range for '
                    f'{type(self).__name__} with {self.num_stages} stages '
                    f'(valid: 0..{self.num_stages - 1}, or negative from the '
                    'end).')
            result.append(int(index) % self.num_stages)
        return sorted(set(result))

    def check_input(self, x: torch.Tensor, in_channels: int,
                    total_stride: int = 32) -> None:
        """Reject inputs the network cannot process, saying how to fix them.

        Any ``H, W >= total_stride`` works, odd sizes included (the convs
        pad); detectors and segmentors pad batches to a multiple of 32.
        """
        name = type(self).__name__
        if x.dim() != 4 or x.shape[1] != in_channels:
            raise ValueError(
                f'{name} expects an (N, {in_channels}, H, W) image batch, '
                f'got shape {tuple(x.shape)}. Set the backbone\'s '
                'in_channels to the number of image channels, or convert '
                'the images (e.g. LoadImageFromFile with color_type='
                "'color' for RGB).")
        if min(x.shape[2:]) < total_stride:
            raise ValueError(
                f'{name} input {tuple(x.shape[2:])} is smaller than the '
                f'network\'s total stride {total_stride}: resize or pad the '
                f'images to at least {total_stride}x{total_stride}.')

    def prepare_input(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` after :meth:`check_input`, in channels-last memory format
        when ``self.channels_last`` says so (``None``: on CPUs).

        Converting once at the input lets every layer run channels-last
        without layout round trips (the depth-wise convolutions and
        ``LayerNorm2d`` keep the format); shapes and values are unchanged.
        """
        self.check_input(x, self.in_channels)
        return to_channels_last(x, self.channels_last)

    def _named_module(self, name: str, index: int) -> Optional[nn.Module]:
        try:
            return self.get_submodule(name.format(i=index, n=index + 1))
        except AttributeError:
            return None

    def trunk_modules(self, index: int) -> List[nn.Module]:
        """The modules stage ``index`` runs in order (``stem_name`` and
        ``stage_names``), its downsampling included."""
        names = list(self.stage_names)
        if index == 0 and self.stem_name:
            names.insert(0, self.stem_name)
        modules = (self._named_module(name, index) for name in names)
        return [m for m in modules if m is not None]

    def output_norm(self, index: int) -> Optional[nn.Module]:
        """The norm of stage ``index``'s output (``output_norm_name``)."""
        if self.output_norm_name is None:
            return None
        return self._named_module(self.output_norm_name, index)

    def stage_modules(self, index: int) -> List[nn.Module]:
        """Modules of stage ``index`` (0-based): its downsampling, blocks
        and output norm."""
        norm = self.output_norm(index)
        return self.trunk_modules(index) + ([] if norm is None else [norm])

    def finish_init(self, deploy: bool) -> None:
        """The last step of every family's constructor: the deploy form
        when ``deploy`` (folded here, or already built by the family), then
        the frozen stages."""
        if deploy:
            self.switch_to_deploy()
        self._freeze_stages()

    def _freeze_stages(self) -> None:
        for index in range(self.frozen_stages):
            for module in self.stage_modules(index):
                module.eval()
                for param in module.parameters():
                    param.requires_grad = False

    def train(self, mode: bool = True) -> 'ConvNetBackbone':
        """Set training mode, keeping frozen stages and norms in eval."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    def check_decay_type(self, decay_type: str) -> None:
        """Raise unless this family has a ``decay_type`` lr decay rule.

        Raises:
            ValueError: ``decay_type`` is not in :data:`LR_DECAY_TYPES`.
            KeyError: the family has no such rule; the message names the
                families in :data:`mmcnn.registry.MODELS` that have one.
        """
        if decay_type not in LR_DECAY_TYPES:
            raise ValueError(f'decay_type must be one of {LR_DECAY_TYPES}, '
                             f'got {decay_type!r}.')
        if decay_type in self.lr_decay_types:
            return
        known = sorted(name for name, cls in MODELS.module_dict.items()
                       if decay_type in getattr(cls, 'lr_decay_types', ()))
        raise KeyError(
            f'No {decay_type.replace("_", "-")} lr decay rule for '
            f'{type(self).__name__}; rules exist for: {", ".join(known)}. '
            'A family defines one by overriding ConvNetBackbone.layer_id '
            'and naming its decay types in lr_decay_types.')

    def layer_id(self, name: str, num_layers: int,
                 decay_type: str = 'layer_wise') -> int:
        """The lr decay id of this backbone's parameter ``name`` (e.g.
        ``'stages.2.4.pwconv1.weight'``), in ``0 .. num_layers + 1``;
        ``num_layers + 1`` trains at the full rate with the neck and heads.

        Families with a rule override this for their ``lr_decay_types``;
        this default has none and raises (:meth:`check_decay_type`).
        """
        self.check_decay_type(decay_type)
        raise NotImplementedError(
            f'{type(self).__name__} lists {decay_type!r} in lr_decay_types '
            'but does not override layer_id.')

    def convnext_layout_id(
            self, name: str, num_layers: int,
            decay_type: str = 'layer_wise',
            stage3_block_id: Optional[Callable[[int], int]] = None) -> int:
        """ConvNeXt's official lr decay rules, a :meth:`layer_id` for the
        families that share its layout (``downsample_layers.{i}``,
        ``stages.{i}``, ``norm{i}``).

        ``'layer_wise'`` (its detection recipe): ``downsample_layers.0`` ->
        0; ``stages.0`` -> 1; ``downsample_layers.1`` and ``stages.1`` -> 2;
        ``downsample_layers.2`` -> 3; block ``j`` of ``stages.2`` ->
        ``stage3_block_id(j)``, by default ConvNeXt's ``3 + j // 3``;
        ``downsample_layers.3`` and ``stages.3`` -> ``num_layers``.
        ``'stage_wise'`` (its segmentation recipe): every
        ``downsample_layers.*`` -> 0; ``stages.i`` -> ``i + 1``. Any other
        name (the output norms ``norm{i}``) -> ``num_layers + 1``, at the
        full rate with the neck and heads.
        """
        self.check_decay_type(decay_type)
        match = _CONVNEXT_NAME.match(name)
        if match is None:
            return num_layers + 1
        kind, stage = match.group(1), int(match.group(2))
        if decay_type == 'stage_wise':
            return 0 if kind == 'downsample_layers' else stage + 1
        if stage == 3:
            return num_layers
        if kind == 'downsample_layers':
            return 0 if stage == 0 else stage + 1
        if stage == 2:
            block = int(match.group(3))
            return (3 + block // 3 if stage3_block_id is None
                    else stage3_block_id(block))
        return stage + 1

    @property
    def classifier_form(self) -> bool:
        """Whether this backbone computes the official classifier's
        features (classification configs), which use the classifier's
        final norm; otherwise it is the dense-prediction form."""
        return bool(self.gap_before_final_norm)

    def final_norm_name(self) -> Optional[str]:
        """The module that takes the classifier's final norm in the
        classification form (the last stage's output norm), or None when
        this model has none (the last stage not in ``out_indices``)."""
        name = f'norm{self.num_stages - 1}'
        return name if hasattr(self, name) else None

    @classmethod
    def split_classifier(cls, state_dict: StateDict,
                         model: 'ConvNetBackbone') -> Tuple[
                             StateDict, StateDict, List[DroppedGroup]]:
        """Separate the official classifier's tensors (official key
        names) from the backbone's: the one rule of every family.

        Returns:
            The backbone's entries; the classifier's final norm, unprefixed
            (``weight``, ``bias``, ...), when ``model`` is in its
            classification form and has the norm to take it, else empty;
            and the groups of tensors left out, with the reasons.
        """
        norm_keys = [k for k in state_dict
                     if k.startswith(cls.classifier_norm_prefixes)]
        head_keys = [k for k in state_dict if k not in norm_keys
                     and k.startswith(cls.classifier_head_prefixes)]
        dropped = [DroppedGroup('classifier head', 'not part of a backbone',
                                tuple(head_keys))]
        extra = set()
        for what, prefixes, reason in cls.extra_dropped:
            keys = tuple(k for k in state_dict if k.startswith(prefixes))
            dropped.append(DroppedGroup(what, reason, keys))
            extra.update(keys)
        norm = {}
        target = model.final_norm_name()
        if norm_keys and model.classifier_form and target:
            for key in norm_keys:
                prefix = next(p for p in cls.classifier_norm_prefixes
                              if key.startswith(p))
                norm[key[len(prefix):]] = state_dict[key]
        elif norm_keys:
            where = ('after global pooling' if cls.classifier_norm_pooled
                     else 'to the last stage\'s map before pooling')
            if model.classifier_form:
                reason = (f'the official classifier applies it {where}; this '
                          'model has no output norm of the last stage '
                          '(out_indices)')
            else:
                reason = (f'applied {where} in the official classifier; the '
                          'official dense backbone does not load it: its '
                          'output norms, if any, start fresh (weight 1, bias '
                          '0), as in this dense form')
            dropped.append(DroppedGroup(CLASSIFIER_NORM, reason,
                                        tuple(norm_keys)))
        left_out = set(norm_keys) | set(head_keys) | extra
        backbone = {k: v for k, v in state_dict.items() if k not in left_out}
        return backbone, norm, dropped

    @classmethod
    def classifier_head_keys(cls) -> Dict[str, str]:
        """The official classifier's keys -> mmpretrain ``ImageClassifier``
        keys (``head.fc.*``), for keeping the head when converting a
        release file; empty where the head is more than the linear layer
        (``classifier_head``), which ``LinearClsHead`` cannot hold."""
        if cls.classifier_head:
            return {}
        return {'head.weight': 'head.fc.weight', 'head.bias': 'head.fc.bias'}

    @classmethod
    def rename_checkpoint(cls, state_dict: StateDict,
                          model: nn.Module) -> StateDict:
        """The backbone entries of an official, timm or mmpretrain
        checkpoint (the classifier already split off by
        :meth:`split_classifier`) under this model's keys: the keys renamed
        by the ``checkpoint_tables`` that apply, the tensors flattened by
        ``checkpoint_reshapes``, then each tensor whose key ``model`` has
        with another shape passed to :meth:`adapt_tensor`."""
        converted = flatten_values(
            rename_keys(state_dict, cls.checkpoint_tables),
            cls.checkpoint_reshapes)
        own = model.state_dict()
        for key, value in converted.items():
            target = own.get(key)
            if target is not None and target.shape != value.shape:
                converted[key] = cls.adapt_tensor(key, value, target.shape)
        return converted

    @classmethod
    def adapt_tensor(cls, key: str, value: torch.Tensor,
                     shape: torch.Size) -> torch.Tensor:
        """The checkpoint tensor ``value`` of ``key`` for a model whose
        tensor there has ``shape`` (another one): unchanged here; families
        whose checkpoints hold kernels or filters of other sizes resize
        them."""
        return value

    @classmethod
    def convert_checkpoint(cls, state_dict: StateDict,
                           model: 'ConvNetBackbone') -> Converted:
        """The state dict for ``model`` and the groups of tensors left
        out on purpose: :meth:`split_classifier`, then
        :meth:`rename_checkpoint`, then the classifier norm (if it is
        loaded) under :meth:`final_norm_name`."""
        backbone, norm, dropped = cls.split_classifier(state_dict, model)
        converted = dict(cls.rename_checkpoint(backbone, model))
        target = model.final_norm_name()
        for key, value in norm.items():
            converted[f'{target}.{key}'] = value
        return Converted(converted, [g for g in dropped if g.keys])

    @classmethod
    def checkpoint_filter(cls, state_dict: StateDict,
                          model: nn.Module) -> StateDict:
        """Convert an official checkpoint's keys to this model's layout
        (:meth:`convert_checkpoint` without the report)."""
        return cls.convert_checkpoint(state_dict, model).state_dict

    def init_weights(self) -> None:
        """Initialise from scratch, or load ``init_cfg``'s checkpoint."""
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            load_pretrained(self, cfg['checkpoint'],
                            checkpoint_filter=self.convert_checkpoint,
                            prefix=cfg.get('prefix', ''),
                            use_ema=cfg.get('use_ema', False),
                            strict=cfg.get('strict', False))
            self._is_init = True
            return
        self.init_from_scratch()
        super().init_weights()

    def init_from_scratch(self) -> None:
        """The family's own random initialisation (official recipe):
        ``scratch_init``, unless the family overrides this."""
        if self.scratch_init is not None:
            self.scratch_init(self)

    def switch_to_deploy(self) -> None:
        """Re-parameterise in place into the inference (deploy) form.

        Calls ``switch_to_deploy`` of the outermost submodules that define
        it (each folds its eval-mode batch norms and scales into convs);
        idempotent.

        Raises:
            NotImplementedError: the family has no deploy form.
        """
        def visit(module: nn.Module) -> int:
            switched = 0
            for child in module.children():
                if callable(getattr(child, 'switch_to_deploy', None)):
                    child.switch_to_deploy()
                    switched += 1
                else:
                    switched += visit(child)
            return switched

        if not self.deploy and not visit(self):
            raise NotImplementedError(
                f'{type(self).__name__} has no deploy form.')
        self.deploy = True

    def run_stage(self, index: int, x: torch.Tensor) -> torch.Tensor:
        """Stage ``index`` on ``x``: its :meth:`trunk_modules` in order."""
        for module in self.trunk_modules(index):
            x = module(x)
        return x

    def stage_output(self, index: int, x: torch.Tensor) -> torch.Tensor:
        """What ``forward`` returns for stage ``index``: ``norm(x)`` as
        ``(N, C, H, W)``, or with ``gap_before_final_norm`` ``norm(GAP(x))``
        as ``(N, C)`` (the official classifiers' order)."""
        norm = self.output_norm(index)
        norm = nn.Identity() if norm is None else norm
        if self.gap_before_final_norm:
            if self.channels_last_maps:
                return norm(x.mean((1, 2)))
            return norm(x.mean((2, 3), keepdim=True)).flatten(1)
        x = norm(x)
        return (x.permute(0, 3, 1, 2).contiguous()
                if self.channels_last_maps else x)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Stage ``i`` is :meth:`run_stage` on the previous stage's map; the
        stages in ``out_indices`` return :meth:`stage_output`."""
        x = self.prepare_input(x)
        outs = []
        for i in range(self.num_stages):
            x = self.run_stage(i, x)
            if i in self.out_indices:
                outs.append(self.stage_output(i, x))
        return tuple(outs)

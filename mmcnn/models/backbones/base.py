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
  weights-only unpickling and a report of unmatched keys.
"""
from numbers import Integral
from typing import (Any, Dict, Iterable, List, Optional, Sequence, Tuple,
                    Union)

import torch
from mmengine.model import BaseModule
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmcnn.utils.checkpoint import StateDict, load_pretrained
from ..layers.dwconv import to_channels_last


def _is_int(value: Any) -> bool:
    """Whether ``value`` is an integer (numpy's included), not a bool."""
    return isinstance(value, Integral) and not isinstance(value, bool)


class ConvNetBackbone(BaseModule):
    """Base class of mmcnn's hierarchical backbones.

    Subclasses define ``arch_zoo`` and ``arch_keys``, build their layers,
    implement :meth:`stage_modules` and ``forward``, and may override
    :meth:`checkpoint_filter` to convert their official key layout.
    """

    arch_zoo: Dict[str, dict] = {}
    arch_keys: Tuple[str, ...] = ()
    gap_before_final_norm: bool = False

    def __init__(self,
                 arch: Union[str, dict],
                 out_indices: Sequence[int],
                 frozen_stages: int,
                 norm_eval: bool,
                 init_cfg: Optional[Union[dict, List[dict]]] = None,
                 channels_last: Optional[bool] = None) -> None:
        super().__init__(init_cfg=init_cfg)
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

    def stage_modules(self, index: int) -> List[nn.Module]:
        """Modules of stage ``index`` (0-based), its downsampling included."""
        raise NotImplementedError

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

    @classmethod
    def checkpoint_filter(cls, state_dict: StateDict,
                          model: nn.Module) -> StateDict:
        """Convert an official checkpoint's keys to this model's layout."""
        return state_dict

    def init_weights(self) -> None:
        """Initialise from scratch, or load ``init_cfg``'s checkpoint."""
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            load_pretrained(self, cfg['checkpoint'],
                            checkpoint_filter=self.checkpoint_filter,
                            prefix=cfg.get('prefix', ''),
                            use_ema=cfg.get('use_ema', False),
                            strict=cfg.get('strict', False))
            self._is_init = True
            return
        self.init_from_scratch()
        super().init_weights()

    def init_from_scratch(self) -> None:
        """The family's own random initialisation (official recipe)."""

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

        if not getattr(self, 'deploy', False) and not visit(self):
            raise NotImplementedError(
                f'{type(self).__name__} has no deploy form.')
        self.deploy = True

    def run_stage(self, index: int, x: torch.Tensor) -> torch.Tensor:
        """The blocks of stage ``index`` on ``x`` (after downsampling)."""
        return self.stages[index](x)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """The ConvNeXt-style layout shared by several families: stage ``i``
        is ``stages[i](downsample_layers[i](x))`` and its output passes
        through ``norm{i}``; with ``gap_before_final_norm`` the output is
        ``norm{i}(GAP(x))`` as ``(N, C)``, the official classifiers'
        order. Families with another layout override this."""
        x = self.prepare_input(x)
        outs = []
        for i in range(self.num_stages):
            x = self.run_stage(i, self.downsample_layers[i](x))
            if i in self.out_indices:
                norm = getattr(self, f'norm{i}')
                if self.gap_before_final_norm:
                    outs.append(norm(x.mean((2, 3), keepdim=True)).flatten(1))
                else:
                    outs.append(norm(x))
        return tuple(outs)

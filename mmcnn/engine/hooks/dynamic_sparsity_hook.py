"""SLaK's dynamic sparsity: sparse weights pruned and regrown in training."""
import math
from typing import Dict, Optional

import torch
from mmengine.dist import broadcast
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch import nn

from mmcnn.models.layers.sparsity import (erk_densities, layer_densities,
                                          sparse_weights)
from mmcnn.registry import HOOKS

__all__ = ['DynamicSparsityHook', 'erk_densities']


@HOOKS.register_module()
class DynamicSparsityHook(Hook):
    """Train with sparse weights whose pattern keeps changing (SLaK).

    Liu et al., ICLR 2023, Sec. 4: every 2-D/4-D weight (convs and linear
    layers, a classifier included) gets a binary mask of overall density
    ``1 - sparsity``, spread over the layers by the Erdos-Renyi-kernel rule
    (``init='erk'``) or evenly (``'uniform'``), or read from the zeros of
    the loaded weights (``'weights'``, to fine-tune a sparse checkpoint).
    Masked weights are zeroed after every optimiser step. Every
    ``interval`` iterations each layer drops the fraction ``prune_rate`` of
    its active weights with the smallest magnitude and regrows as many at
    random inactive positions (starting from zero), so densities are kept;
    ``prune_rate`` decays on a cosine to ``min_prune_rate`` over training.
    The masks are saved in checkpoints (``sparse_masks``) and restored on
    resume.

    Args:
        sparsity: fraction of zero weights (SLaK: 0.4).
        interval: iterations between prune-and-regrow updates (SLaK-T:
            2000, S/B: 100 with their batch sizes); ``None`` keeps the
            masks fixed.
        prune_rate: initial fraction of active weights exchanged per update
            (SLaK-T: 0.5, S/B: 0.3).
        min_prune_rate: the rate at the end of training.
        init: ``'erk'``, ``'uniform'`` or ``'weights'``.
        module: sparsify only this sub-module of the model (e.g.
            ``'backbone'``); the whole model by default.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self,
                 sparsity: float = 0.4,
                 interval: Optional[int] = 100,
                 prune_rate: float = 0.3,
                 min_prune_rate: float = 0.005,
                 init: str = 'erk',
                 module: Optional[str] = None) -> None:
        if not 0. <= sparsity < 1.:
            raise ValueError(f'sparsity must be in [0, 1), got {sparsity}.')
        if not 0. <= min_prune_rate <= prune_rate <= 1.:
            raise ValueError('Need 0 <= min_prune_rate <= prune_rate <= 1, '
                             f'got {min_prune_rate} and {prune_rate}.')
        if init not in ('erk', 'uniform', 'weights'):
            raise ValueError(f"init must be 'erk', 'uniform' or 'weights', "
                             f'got {init!r}.')
        if interval is not None and interval < 1:
            raise ValueError(f'interval must be positive, got {interval}.')
        self.sparsity = sparsity
        self.interval = interval
        self.prune_rate = prune_rate
        self.min_prune_rate = min_prune_rate
        self.init = init
        self.module = module
        self.masks: Dict[str, torch.Tensor] = {}

    def _target(self, runner) -> nn.Module:
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        return model.get_submodule(self.module) if self.module else model

    def _weights(self, runner) -> Dict[str, nn.Parameter]:
        return sparse_weights(self._target(runner))

    @staticmethod
    def _random_mask(param: torch.Tensor, density: float) -> torch.Tensor:
        mask = torch.zeros(param.numel(), dtype=torch.bool,
                           device=param.device)
        keep = round(density * param.numel())
        mask[torch.randperm(param.numel(), device=param.device)[:keep]] = True
        return mask.view_as(param)

    def _sync(self) -> None:
        """Use rank 0's masks everywhere (random choices differ by rank)."""
        for mask in self.masks.values():
            flag = mask.to(torch.uint8)
            broadcast(flag, src=0)
            mask.copy_(flag.bool())

    @torch.no_grad()
    def apply_masks(self, runner) -> None:
        """Zero every weight outside its mask."""
        for name, param in self._weights(runner).items():
            if name in self.masks:
                param.mul_(self.masks[name])

    def before_train(self, runner) -> None:
        weights = self._weights(runner)
        if self.masks:
            missing = set(weights) - set(self.masks)
            if missing:
                raise KeyError(
                    f'The loaded sparse masks lack {sorted(missing)}; was '
                    'the checkpoint trained with another model?')
        else:
            density = 1. - self.sparsity
            if self.init == 'weights':
                self.masks = {n: p.detach() != 0 for n, p in weights.items()}
            else:
                densities = layer_densities(
                    {n: p.shape for n, p in weights.items()}, density,
                    self.init)
                self.masks = {n: self._random_mask(p, densities[n])
                              for n, p in weights.items()}
            self._sync()
        self.apply_masks(runner)
        print_log(f'DynamicSparsityHook: {len(self.masks)} sparse weights, '
                  f'density {self.density():.4f}.', logger='current')

    def density(self) -> float:
        """Overall fraction of active entries in the masks."""
        active = sum(int(m.sum()) for m in self.masks.values())
        return active / max(1, sum(m.numel() for m in self.masks.values()))

    def current_prune_rate(self, runner) -> float:
        """The cosine-decayed prune rate at the current iteration."""
        progress = min(1., runner.iter / max(1, runner.max_iters))
        return self.min_prune_rate + 0.5 * (
            self.prune_rate - self.min_prune_rate) * (
                1 + math.cos(math.pi * progress))

    @torch.no_grad()
    def update_masks(self, runner) -> None:
        """Prune the smallest active weights and regrow as many at random."""
        rate = self.current_prune_rate(runner)
        for name, param in self._weights(runner).items():
            mask = self.masks[name].view(-1)
            active = int(mask.sum())
            remove = math.ceil(rate * active)
            if remove == 0 or active == mask.numel():
                continue
            score = param.detach().abs().view(-1).float()
            score[~mask] = float('inf')
            mask[score.topk(remove, largest=False).indices] = False
            inactive = (~mask).nonzero().squeeze(1)
            grow = torch.randperm(inactive.numel(), device=mask.device)
            mask[inactive[grow[:remove]]] = True
        self._sync()
        self.apply_masks(runner)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if self.interval and self.every_n_train_iters(runner, self.interval):
            self.update_masks(runner)
        else:
            self.apply_masks(runner)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['sparse_masks'] = {n: m.cpu()
                                      for n, m in self.masks.items()}

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'sparse_masks' not in checkpoint:
            return
        weights = self._weights(runner)
        self.masks = {n: m.to(weights[n].device).bool()
                      for n, m in checkpoint['sparse_masks'].items()
                      if n in weights}

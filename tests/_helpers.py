"""Helpers shared by the backbone tests: parameter counts, random weights,
relative errors, and every registered backbone family with small builds."""
from typing import Dict, List

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from torch import nn

import mmcnn.models  # noqa: F401  (registers the backbones)
from mmcnn.models.backbones.base import ConvNetBackbone
from mmcnn.registry import MODELS
from mmcnn.utils import CheckpointError


def count_params(module: nn.Module) -> int:
    """Number of parameters of ``module``."""
    return sum(p.numel() for p in module.parameters())


def assert_classifier_params(backbone: nn.Module, head: nn.Module,
                             official: int, published: float,
                             digits: int = 0) -> None:
    """``backbone`` with ``head`` has the official implementation's
    parameter count, which rounds to the ``published`` millions at
    ``digits`` decimals."""
    total = count_params(backbone) + count_params(head)
    assert total == official
    assert round(total / 1e6, digits) == published


def rel_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """Largest absolute difference relative to the largest ``|b|``."""
    return ((a - b).abs().max() / b.abs().max()).item()


def randomise(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give ``model`` non-trivial weights in place: BN statistics, 2-D/4-D
    weights at fan-in scale, and norm weights, layer scales (``gamma``)
    and biases around 1 and 0, so that folding BN and scales matters."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, value in model.state_dict().items():
            if not value.is_floating_point():
                continue
            if name.endswith('running_var'):
                value.copy_(torch.rand(value.shape, generator=gen) + 0.5)
            elif value.dim() in (2, 4):
                fan_in = value[0].numel()
                value.copy_(torch.randn(value.shape, generator=gen) /
                            fan_in**0.5)
            else:
                centre = 1. if name.endswith(('.weight', 'gamma')) else 0.
                value.copy_(torch.randn(value.shape, generator=gen) * 0.3 +
                            centre)
    return model


def randomized_state(model: nn.Module, std: float = 1.) -> dict:
    """A random state dict for ``model``: floating tensors ~ N(0, std^2),
    running variances in [0.5, 1.5), integer buffers kept."""
    state = {}
    for key, value in model.state_dict().items():
        if key.endswith('running_var'):
            value = torch.rand_like(value) + 0.5
        elif value.is_floating_point():
            value = torch.randn_like(value) * std
        state[key] = value
    return state


def classifier_tensors(width: int, norm: bool = True) -> dict:
    """Random tensors of an official classifier on ``width`` channels: a
    1000-class ``head`` and, with ``norm``, its final ``norm``."""
    tensors = {'head.weight': torch.randn(1000, width),
               'head.bias': torch.randn(1000)}
    if norm:
        tensors.update({'norm.weight': torch.randn(width),
                        'norm.bias': torch.randn(width)})
    return tensors


def assert_loaded(model: nn.Module, state: dict, fresh: str = '') -> None:
    """Every tensor of ``model`` equals ``state``'s under its key, except
    the norms whose keys start with ``fresh`` (when given): those were not
    loaded and stay at weight 1, bias 0."""
    for key, value in model.state_dict().items():
        if fresh and key.startswith(fresh):
            expected = torch.full_like(value, float(key.endswith('weight')))
        else:
            expected = state[key]
        assert torch.equal(value, expected), key


def load_through_init_cfg(model: nn.Module, checkpoint: dict, path,
                          **cfg) -> nn.Module:
    """``model`` after ``init_weights`` from ``checkpoint``, saved at
    ``path``, through a ``Pretrained`` ``init_cfg`` with ``cfg`` (its
    ``prefix``, ``strict``)."""
    torch.save(checkpoint, path)
    model.init_cfg = dict(type='Pretrained', checkpoint=str(path), **cfg)
    model.init_weights()
    return model


def assert_strict_loading_fails(model: nn.Module, state: dict, path,
                                match: str) -> None:
    """Loading ``state`` (saved at ``path``) into ``model`` through a strict
    ``Pretrained`` ``init_cfg`` raises a CheckpointError matching
    ``match``."""
    with pytest.raises(CheckpointError, match=match):
        load_through_init_cfg(model, {'state_dict': state}, path, strict=True)


def assert_same_features_as_mmpretrain(reference: nn.Module,
                                       model: nn.Module, path) -> None:
    """``reference`` (an mmpretrain backbone), saved at ``path`` as a
    classifier checkpoint, loads strictly into ``model`` with
    ``prefix='backbone.'``, which then computes the same features."""
    reference.eval()
    checkpoint = {'meta': {'epoch': 300}, 'state_dict': {
        'backbone.' + k: v for k, v in reference.state_dict().items()}}
    load_through_init_cfg(model, checkpoint, path, prefix='backbone.',
                          strict=True).eval()
    images = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        for ours, theirs in zip(model(images), reference(images)):
            torch.testing.assert_close(ours, theirs)


def param_groups(model: nn.Module, constructor: str, num_layers: int,
                 decay: float, lr: float, weight_decay: float) -> dict:
    """The optimizer group of every parameter (by ``id``) under an mmcnn
    lr-decay ``constructor``."""
    optim_wrapper = build_optim_wrapper(model, dict(
        optimizer=dict(type='AdamW', lr=lr, weight_decay=weight_decay),
        constructor=constructor,
        paramwise_cfg=dict(num_layers=num_layers, decay_rate=decay)))
    return {id(p): g for g in optim_wrapper.optimizer.param_groups
            for p in g['params']}


def assert_lr_scales(groups: dict, expected: dict, lr: float) -> None:
    """Each parameter of ``expected`` trains at its scale of ``lr``
    (``groups`` from :func:`param_groups`)."""
    for param, scale in expected.items():
        assert groups[id(param)]['lr'] == pytest.approx(lr * scale)


FAMILIES: List[str] = sorted(
    name for name, cls in MODELS.module_dict.items()
    if isinstance(cls, type) and issubclass(cls, ConvNetBackbone)
    and cls.arch_zoo and cls.__module__.startswith('mmcnn.models.backbones.'))
"""Every backbone family that mmcnn registers, by registry name (those of
``projects/`` register only when imported)."""

# Custom archs for the families whose smallest zoo arch is slow on CPUs
# (5M parameters or more, large kernels, or many multi-kernel blocks) or
# misses code paths (layer scales to fold, block types): official code
# paths at a fraction of the time. The other families use their smallest
# zoo arch.
TINY_ARCHS: Dict[str, dict] = {
    'ConvFormer': dict(embed_dims=[8, 16, 24, 32], depths=[1, 1, 1, 1]),
    'FocalNet': dict(embed_dims=[8, 16, 24, 32], depths=[1, 1, 1, 1],
                     focal_levels=[2] * 4, focal_windows=[3] * 4,
                     layer_scale=1e-4),
    'HorNet': dict(embed_dims=[8, 16, 32, 64], depths=[1, 1, 1, 1],
                   orders=[2, 3, 4, 4],
                   global_filter=[False, False, True, True]),
    'MogaNet': dict(embed_dims=[8, 16, 24, 32], depths=[1, 1, 1, 1],
                    ffn_ratios=[2, 2, 2, 2]),
    'InternImage': dict(embed_dims=[16, 32, 64, 128], depths=[1, 1, 1, 1],
                        groups=[2, 4, 8, 16], layer_scale=1e-5),
    'PoolFormer': dict(embed_dims=[8, 16, 24, 32], depths=[1, 1, 1, 1],
                       mlp_ratios=[2] * 4),
    'RepLKNet': dict(embed_dims=[16, 32, 48, 64], depths=[1, 1, 1, 1],
                     large_kernel_sizes=[13, 11, 9, 7], small_kernel=5,
                     dw_ratio=1),
    # Small widths; the kernels cover every block type: none, plain 3x3/5x5
    # and dilated re-param blocks of all official sizes.
    'UniRepLKNet': dict(depths=[2, 2, 4, 2], embed_dims=[16, 32, 48, 64],
                        kernel_sizes=[[0, 5], [7, 9], [11, 15, 17, 3],
                                      [13, 13]]),
    'SLaK': dict(embed_dims=[8, 8, 16, 16], depths=[1, 1, 1, 1],
                 kernel_sizes=[7, 7, 7, 7], small_kernel=3),
    'VAN': dict(embed_dims=[8, 16, 24, 32], depths=[1, 1, 1, 1],
                mlp_ratios=[2, 2, 2, 2]),
}


def smallest_arch(name: str) -> str:
    """The family's smallest zoo arch: each ``arch_zoo`` lists its archs
    from the smallest up."""
    return next(iter(MODELS.get(name).arch_zoo))


def small_arch(name: str):
    """The arch the contract tests build: a tiny custom one where the
    family needs it, else its smallest zoo arch."""
    return TINY_ARCHS.get(name, smallest_arch(name))


def build_small(name: str, **kwargs) -> ConvNetBackbone:
    """Family ``name`` at :func:`small_arch`, built from mmcnn's registry."""
    return MODELS.build(dict(type=name, arch=small_arch(name), **kwargs))

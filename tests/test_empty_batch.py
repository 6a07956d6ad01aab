"""A batch of size 0 gives empty outputs of the batch-1 shapes in every
family, in training (with a backward pass) and inference, in the default
and the deploy form (issue 13, item 10; docs/errors.md)."""
from typing import List, Tuple

import pytest
import torch
from test_bad_input import FAMILIES, SMALLEST

import mmcnn.models  # noqa: F401
from mmcnn.models.backbones.base import ConvNetBackbone
from mmcnn.models.layers.dwconv import (ALGORITHMS, algorithm_cache,
                                        clear_algorithm_cache,
                                        depthwise_conv2d,
                                        fft_depthwise_conv2d,
                                        force_algorithm)
from mmcnn.registry import MODELS

# Archs whose blocks differ from the smallest one (HorNet's global filter).
EXTRA_ARCHS = [('HorNet', 'tiny-gf')]
CASES = [(name, SMALLEST[name]) for name in FAMILIES] + EXTRA_ARCHS
SIZE = 64


def build(name: str, arch: str) -> ConvNetBackbone:
    """``arch`` with drop path on (it draws one mask per sample)."""
    return MODELS.build(dict(type=name, arch=arch, drop_path_rate=0.1))


def batch1_shapes(model: ConvNetBackbone) -> List[Tuple[int, ...]]:
    """Output shapes of a 1-image batch in eval mode."""
    training = model.training
    model.eval()
    with torch.no_grad(), force_algorithm('direct'):
        outs = model(torch.randn(1, 3, SIZE, SIZE))
    model.train(training)
    return [tuple(out.shape) for out in outs]


def test_every_family_is_covered():
    assert sorted({name for name, _ in CASES}) == FAMILIES


@pytest.mark.parametrize('form', ['default', 'deploy'])
@pytest.mark.parametrize('mode', ['train', 'eval'])
@pytest.mark.parametrize('name,arch', CASES)
def test_empty_batch(name, arch, mode, form):
    torch.manual_seed(0)
    model = build(name, arch)
    if form == 'deploy':
        model.eval()
        model.switch_to_deploy()
        assert model.deploy
    expected = [(0, ) + shape[1:] for shape in batch1_shapes(model)]
    buffers = {k: v.clone() for k, v in model.named_buffers()
               if v.is_floating_point()}
    model.train(mode == 'train')
    x = torch.randn(0, 3, SIZE, SIZE)
    if mode == 'eval':
        with torch.no_grad():
            outs = model(x)
    else:
        outs = model(x)
        loss = sum(out.sum() for out in outs)
        assert loss.requires_grad
        loss.backward()
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        assert all(not g.any() for g in grads)
    assert [tuple(out.shape) for out in outs] == expected
    for key, value in model.named_buffers():
        if key in buffers:
            assert torch.equal(value, buffers[key]), key


@pytest.mark.parametrize('algorithm', ALGORITHMS + ('auto', ))
@pytest.mark.parametrize('channels_last', [False, True])
def test_depthwise_conv_empty_batch(algorithm, channels_last):
    x = torch.randn(0, 6, 20, 20, requires_grad=True)
    inp = x.contiguous(memory_format=torch.channels_last) \
        if channels_last else x
    weight = torch.randn(6, 1, 13, 13, requires_grad=True)
    bias = torch.randn(6, requires_grad=True)
    clear_algorithm_cache()
    with force_algorithm(None if algorithm == 'auto' else algorithm):
        out = depthwise_conv2d(inp, weight, bias, padding=6,
                               algorithm='auto')
    assert out.shape == (0, 6, 20, 20)
    assert algorithm_cache() == {}
    out.sum().backward()
    assert x.grad.shape == x.shape
    assert not weight.grad.any() and not bias.grad.any()


def test_fft_depthwise_conv_empty_batch():
    x = torch.randn(0, 6, 20, 20, requires_grad=True)
    weight = torch.randn(6, 1, 13, 13, requires_grad=True)
    out = fft_depthwise_conv2d(x, weight, None, (6, 6), (1, 1))
    assert out.shape == (0, 6, 20, 20)
    out.sum().backward()
    assert not weight.grad.any()

"""Bad input gets a message naming the problem and the fix (docs/errors.md).

Backbone rows run over every registered family.
"""
import pytest
import torch

import mmcnn.models  # noqa: F401
from mmcnn.models.backbones.base import ConvNetBackbone
from mmcnn.registry import MODELS

SMALLEST = {
    'ConvFormer': 's18', 'ConvNeXt': 'atto', 'ConvNeXtV2': 'atto',
    'FocalNet': 'tiny-srf', 'HorNet': 'tiny', 'InceptionNeXt': 'atto',
    'InternImage': 'tiny', 'MogaNet': 'xtiny', 'PoolFormer': 's12',
    'RepLKNet': '31b', 'SLaK': 'tiny', 'UniRepLKNet': 'atto', 'VAN': 'b0',
}
FAMILIES = sorted(
    name for name, cls in MODELS.module_dict.items()
    if isinstance(cls, type) and issubclass(cls, ConvNetBackbone))


def test_every_family_has_a_smallest_variant_listed():
    assert sorted(SMALLEST) == FAMILIES


def build(name: str, **kwargs) -> ConvNetBackbone:
    return MODELS.build(dict(type=name, arch=SMALLEST[name], **kwargs))


@pytest.mark.parametrize('name', FAMILIES)
def test_unknown_arch_lists_valid_names(name):
    with pytest.raises(KeyError, match=f'Valid names: .*{SMALLEST[name]}'):
        MODELS.build(dict(type=name, arch='no-such-arch'))


@pytest.mark.parametrize('name', FAMILIES)
def test_custom_arch_with_missing_keys(name):
    cls = MODELS.get(name)
    arch = {k: v for k, v in cls.arch_zoo[SMALLEST[name]].items()
            if k != cls.arch_keys[-1]}
    with pytest.raises(KeyError, match=f'lacks keys.*{cls.arch_keys[-1]}'):
        MODELS.build(dict(type=name, arch=arch))


@pytest.mark.parametrize('name', FAMILIES)
def test_out_indices_and_frozen_stages_out_of_range(name):
    with pytest.raises(ValueError, match='out_indices entry 7 is out of'):
        build(name, out_indices=(7, ))
    with pytest.raises(ValueError, match='frozen_stages=9 is out of range'):
        build(name, frozen_stages=9)


@pytest.mark.parametrize('name', FAMILIES)
def test_out_indices_and_frozen_stages_of_wrong_type(name):
    with pytest.raises(TypeError, match=r"out_indices must be an int or a "
                       r"sequence of ints .*e\.g\. \(0, 1, 2, 3\); got "
                       r"\['0', '3'\]"):
        build(name, out_indices=['0', '3'])
    with pytest.raises(TypeError, match="frozen_stages must be an int, got "
                       "'2' .*use -1 or 0"):
        build(name, frozen_stages='2')


@pytest.mark.parametrize('name', FAMILIES)
def test_wrong_channels_and_too_small_input(name):
    model = build(name).eval()
    with pytest.raises(ValueError, match='in_channels'):
        model(torch.randn(1, 1, 64, 64))
    with pytest.raises(ValueError, match='smaller than the network'):
        model(torch.randn(1, 3, 16, 48))


def test_moganet_width_not_divisible():
    with pytest.raises(ValueError, match='divisible by 8'):
        MODELS.build(dict(type='MogaNet', arch=dict(
            embed_dims=[20, 40, 80, 160], depths=[1, 1, 1, 1],
            ffn_ratios=[4, 4, 4, 4])))


@pytest.mark.parametrize('name', FAMILIES)
def test_odd_input_sizes_work(name):
    model = build(name).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 65, 97))
    assert len(outs) == len(model.out_indices)
    assert outs[-1].shape[-2:] == (3, 4) or outs[-1].shape[-2:] == (2, 3)

"""``mmcnn.FamilyOptimWrapperConstructor``: the backbone family's
parameter-wise rule (``type(backbone).paramwise_cfg``) joined under the
config's ``paramwise_cfg``."""
import socket
from typing import Dict, Optional

import pytest
import torch.distributed as dist
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmcnn.engine import join_paramwise
from mmcnn.models import ConvNeXt, InternImage

WD = 0.05


class TinyDetector(nn.Module):
    """A ConvNeXt-atto ``backbone`` plus a norm and a head."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = ConvNeXt(arch='atto')
        self.neck_norm = nn.LayerNorm(320)
        self.head = nn.Linear(320, 3)


def weight_decays(model: nn.Module, constructor: str,
                  paramwise_cfg: Optional[dict]) -> Dict[str, float]:
    """The weight decay every parameter of ``model`` trains with."""
    optim_wrapper = build_optim_wrapper(model, dict(
        constructor=constructor,
        optimizer=dict(type='AdamW', lr=1e-3, weight_decay=WD),
        paramwise_cfg=paramwise_cfg))
    by_id = {id(p): g['weight_decay']
             for g in optim_wrapper.optimizer.param_groups for p in g['params']}
    return {name: by_id[id(p)] for name, p in model.named_parameters()}


def test_join_paramwise_config_wins_and_custom_keys_join():
    family = dict(custom_keys={'.gamma': dict(decay_mult=0.),
                               'norm': dict(decay_mult=0.)},
                  norm_decay_mult=0.)
    config = dict(custom_keys={'norm': dict(decay_mult=0.5)},
                  norm_decay_mult=1., bias_decay_mult=0.)
    joined = join_paramwise(family, config)
    assert joined == dict(
        custom_keys={'.gamma': dict(decay_mult=0.),
                     'norm': dict(decay_mult=0.5)},
        norm_decay_mult=1., bias_decay_mult=0.)
    joined['custom_keys']['.gamma']['decay_mult'] = 1.
    assert family['custom_keys']['.gamma'] == dict(decay_mult=0.)
    assert join_paramwise(family, None) == family


def test_convnext_layer_scales_train_without_weight_decay():
    """ConvNeXt's rule exempts its ``.gamma`` layer scales; mmengine's
    default constructor with the same config decays them."""
    model = TinyDetector()
    config = dict(norm_decay_mult=0.)
    family = weight_decays(model, 'mmcnn.FamilyOptimWrapperConstructor',
                           config)
    default = weight_decays(model, 'DefaultOptimWrapperConstructor', config)
    gammas = [n for n in family if n.endswith('.gamma')]
    assert len(gammas) == sum(model.backbone.arch_settings['depths'])
    for name in gammas:
        assert family[name] == 0. and default[name] == WD, name
    assert family == {**default, **dict.fromkeys(gammas, 0.)}
    assert family['head.weight'] == WD
    assert family['backbone.stages.0.0.dwconv.weight'] == WD
    assert family['neck_norm.weight'] == 0.


def test_config_keys_win_over_the_family_rule():
    model = TinyDetector()
    decays = weight_decays(
        model, 'mmcnn.FamilyOptimWrapperConstructor',
        dict(custom_keys={'.gamma': dict(decay_mult=0.5)}))
    assert decays['backbone.stages.0.0.gamma'] == pytest.approx(WD * 0.5)


def test_rule_of_mults_and_models_without_a_family_rule():
    """InternImage's rule is the 1-D multipliers; a model without an mmcnn
    backbone (or a wrapped one) is built as mmengine's default builds it."""
    model = nn.Module()
    model.backbone = InternImage(arch=dict(
        embed_dims=[16, 32, 64, 128], depths=[1, 1, 1, 1],
        groups=[1, 2, 4, 8]))
    decays = weight_decays(model, 'mmcnn.FamilyOptimWrapperConstructor', None)
    for name, param in model.named_parameters():
        assert decays[name] == (0. if param.ndim == 1 else WD), name

    plain = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    assert weight_decays(plain, 'mmcnn.FamilyOptimWrapperConstructor',
                         None) == weight_decays(
                             plain, 'DefaultOptimWrapperConstructor', None)


@pytest.fixture
def one_process_group():
    """A gloo process group of this one process, as a launcher makes."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}',
                            rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def test_wrapped_model_gets_the_rule_of_its_backbone(one_process_group):
    """Under a model wrapper the rule comes from ``model.module.backbone``."""
    wrapped = MMDistributedDataParallel(module=TinyDetector())
    decays = weight_decays(wrapped, 'mmcnn.FamilyOptimWrapperConstructor',
                           None)
    assert decays['module.backbone.stages.0.0.gamma'] == 0.
    assert decays['module.head.weight'] == WD

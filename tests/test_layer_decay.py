"""Layer-wise lr decay constructor: layer ids, lr scales, weight decay."""
import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from torch import nn

from mmcnn.engine import LayerDecayOptimWrapperConstructor
from mmcnn.models import VAN, MogaNet

LR, WD, NUM_LAYERS, DECAY = 1e-3, 0.05, 12, 0.8


class TinyDetector(nn.Module):
    """A MogaNet ``backbone`` plus a neck and a head, like a detector."""

    def __init__(self, frozen_stages: int = 0) -> None:
        super().__init__()
        self.backbone = MogaNet(
            arch=dict(embed_dims=[8, 16, 24, 32], depths=[1, 2, 26, 1],
                      ffn_ratios=[2, 2, 2, 2]),
            frozen_stages=frozen_stages)
        self.neck = nn.Conv2d(32, 16, 1)
        self.head = nn.Linear(16, 3)


def optim_cfg(**paramwise) -> dict:
    return dict(
        optimizer=dict(type='AdamW', lr=LR, weight_decay=WD),
        constructor='mmcnn.LayerDecayOptimWrapperConstructor',
        paramwise_cfg=paramwise or dict(num_layers=NUM_LAYERS,
                                        decay_rate=DECAY))


def group_of(optim_wrapper) -> dict:
    return {id(p): g for g in optim_wrapper.optimizer.param_groups
            for p in g['params']}


@pytest.fixture(scope='module')
def moganet() -> MogaNet:
    return TinyDetector().backbone


@pytest.mark.parametrize('name, layer_id', [
    ('patch_embed1.projection.0.weight', 0),
    ('patch_embed1.projection.4.bias', 0),
    ('blocks1.0.attn.proj_1.weight', 2),
    ('patch_embed2.projection.weight', 3),
    ('blocks2.1.mlp.fc1.weight', 3),
    ('patch_embed3.norm.weight', 4),
    ('blocks3.0.layer_scale_1', 3),
    ('blocks3.1.attn.sigma.scale', 3),
    ('blocks3.2.mlp.fc2.weight', 4),
    ('blocks3.15.norm1.weight', 10),
    ('blocks3.16.norm2.bias', 11),
    ('blocks3.43.attn.gate.weight', 11),
    ('patch_embed4.projection.weight', 12),
    ('blocks4.3.attn.value.PW_conv.weight', 12),
    ('norm1.weight', 13),
    ('norm4.bias', 13),
])
def test_moganet_layer_ids(moganet, name, layer_id):
    assert moganet.layer_id(name, NUM_LAYERS) == layer_id


def test_rule_is_the_backbone_class_method():
    assert MogaNet.lr_decay_types == ('layer_wise', )

    class MyMogaNet(MogaNet):
        pass

    assert MyMogaNet.layer_id is MogaNet.layer_id
    assert MyMogaNet(arch='xtiny').layer_id('blocks3.2.mlp.fc2.weight',
                                            NUM_LAYERS) == 4
    with pytest.raises(KeyError, match='No layer-wise lr decay rule for VAN;'
                       ' rules exist for: ConvNeXt, .*MogaNet'):
        VAN(arch='b0').layer_id('stem.weight', NUM_LAYERS)
    with pytest.raises(TypeError, match='Conv2d has no layer_id'):
        build_optim_wrapper(
            nn.ModuleDict(dict(backbone=nn.Conv2d(1, 1, 1))), optim_cfg())


def test_groups_lr_scales_and_weight_decay():
    model = TinyDetector()
    optim_wrapper = build_optim_wrapper(model, optim_cfg())
    assert isinstance(optim_wrapper.optimizer, torch.optim.AdamW)
    groups = group_of(optim_wrapper)
    named = dict(model.named_parameters())
    assert len(groups) == len(named)
    seen_ids = set()
    for name, param in named.items():
        group = groups[id(param)]
        if name.startswith('backbone.'):
            layer_id = model.backbone.layer_id(name[len('backbone.'):],
                                               NUM_LAYERS)
        else:
            layer_id = NUM_LAYERS + 1
        seen_ids.add(layer_id)
        assert group['layer_id'] == layer_id, name
        assert group['lr'] == pytest.approx(
            LR * DECAY ** (NUM_LAYERS + 1 - layer_id)), name
        flat = param.squeeze().dim() <= 1 or name.endswith('.bias')
        assert group['weight_decay'] == (0. if flat else WD), name
    assert seen_ids == {0, 2, 3, 4, *range(5, NUM_LAYERS + 2)}

    head = groups[id(model.head.weight)]
    stem = groups[id(model.backbone.patch_embed1.projection[0].weight)]
    assert head['lr'] == pytest.approx(LR)
    assert stem['lr'] == pytest.approx(LR * DECAY ** 13)
    block = model.backbone.blocks3[7]
    for param in (block.layer_scale_1, block.attn.sigma.scale,
                  block.norm1.weight, block.mlp.fc1.bias):
        assert groups[id(param)]['weight_decay'] == 0.
    assert groups[id(block.mlp.fc1.weight)]['weight_decay'] == WD


def test_step_moves_layers_at_their_rates():
    model = TinyDetector()
    optim_wrapper = build_optim_wrapper(model, optim_cfg())
    stem = model.backbone.patch_embed1.projection[0].weight
    head = model.head.weight
    before = [stem.detach().clone(), head.detach().clone()]
    for param in model.parameters():
        param.grad = torch.ones_like(param)
    optim_wrapper.step()
    # The first Adam step moves every entry by about its group's lr.
    stem_step = (before[0] - stem.detach()).abs().mean().item()
    head_step = (before[1] - head.detach()).abs().mean().item()
    assert stem_step == pytest.approx(LR * DECAY ** 13, rel=0.05)
    assert head_step == pytest.approx(LR, rel=0.05)


def test_frozen_parameters_are_left_out():
    model = TinyDetector(frozen_stages=1)
    groups = group_of(build_optim_wrapper(model, optim_cfg()))
    for name, param in model.named_parameters():
        assert (id(param) in groups) is param.requires_grad, name
    assert id(model.backbone.blocks1[0].mlp.fc1.weight) not in groups


@pytest.mark.parametrize('scope', ['mmdet', 'mmseg', 'mmpose', 'mmpretrain'])
def test_scoped_name_resolves_from_downstream(scope):
    with DefaultScope.overwrite_default_scope(scope):
        optim_wrapper = build_optim_wrapper(TinyDetector(), optim_cfg())
    assert all('layer_id' in g for g in optim_wrapper.optimizer.param_groups)


def test_custom_rule_plugs_in():

    class ToyBackbone(nn.Module):

        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Conv2d(3, 4, 3)
            self.stage = nn.Conv2d(4, 4, 3)

        def layer_id(self, name: str, num_layers: int,
                     decay_type: str = 'layer_wise') -> int:
            return 0 if name.startswith('stem.') else num_layers

    model = nn.Module()
    model.backbone = ToyBackbone()
    model.head = nn.Linear(4, 2)
    groups = group_of(build_optim_wrapper(
        model, optim_cfg(num_layers=2, decay_rate=0.5)))
    assert groups[id(model.backbone.stem.weight)]['lr'] == pytest.approx(
        LR * 0.5 ** 3)
    assert groups[id(model.backbone.stage.weight)]['lr'] == pytest.approx(
        LR * 0.5)
    assert groups[id(model.head.weight)]['lr'] == pytest.approx(LR)


def test_invalid_configs():
    with pytest.raises(KeyError, match='exactly num_layers and decay_rate'):
        LayerDecayOptimWrapperConstructor(
            dict(optimizer=dict(type='AdamW', lr=LR)),
            dict(num_layers=12, decay_rate=0.8, decay_type='layer_wise'))
    with pytest.raises(ValueError, match='decay_rate'):
        LayerDecayOptimWrapperConstructor(
            dict(optimizer=dict(type='AdamW', lr=LR)),
            dict(num_layers=12, decay_rate=1.5))
    with pytest.raises(AttributeError, match='backbone'):
        build_optim_wrapper(nn.Linear(2, 2), optim_cfg())

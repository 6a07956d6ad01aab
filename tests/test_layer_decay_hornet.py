"""HorNet's lr decay rules in mmcnn's constructors (official HorNet
detection: layer-wise, segmentation: stage-wise)."""
import pytest
from _helpers import assert_lr_scales, param_groups
from torch import nn

from mmcnn.models import ConvNeXt, HorNet

LR, WD = 2e-4, 0.05


@pytest.fixture(scope='module')
def hornet_t() -> nn.Module:
    """HorNet-T with a head after it."""
    model = nn.Module()
    model.backbone = HorNet(arch='tiny')
    model.head = nn.Conv2d(512, 8, 1)
    return model


@pytest.mark.parametrize('name, layer_id', [
    ('downsample_layers.0.0.weight', 0),
    ('stages.0.1.gnconv.dwconv.weight', 1),
    ('downsample_layers.1.1.weight', 2),
    ('stages.1.2.gamma1', 2),
    ('downsample_layers.2.0.bias', 3),
    ('stages.2.0.pwconv1.weight', 3),
    ('stages.2.1.pwconv1.weight', 3),
    ('stages.2.2.norm1.weight', 4),
    ('stages.2.15.pwconv2.weight', 10),
    ('stages.2.17.gnconv.proj_out.weight', 11),
    ('stages.2.25.gnconv.proj_out.weight', 11),
    ('downsample_layers.3.1.weight', 12),
    ('stages.3.1.gamma2', 12),
    ('norm3.weight', 13),
])
def test_hornet_layer_ids(hornet_t, name, layer_id):
    assert hornet_t.backbone.layer_id(name, 12) == layer_id


# The official HorNet-T recipes: (constructor, decay type, the family whose
# rule it uses (None: HorNet's own), num_layers, decay rate, {parameter:
# exponent of the decay rate in its lr scale}).
RECIPES = {
    # Cascade Mask R-CNN, layer-wise: the stem at 0.7 ** 13, the last
    # stage at 0.7.
    'detection': ('mmcnn.LayerDecayOptimWrapperConstructor', 'layer_wise',
                  None, 12, 0.7,
                  {'downsample_layers.0.0.weight': 13,
                   'stages.0.0.pwconv1.weight': 12,
                   'stages.2.4.pwconv1.weight': 8,
                   'stages.2.17.pwconv1.weight': 2,
                   'stages.3.1.pwconv2.weight': 1, 'norm2.weight': 0}),
    # UperNet, stage-wise.
    'segmentation': ('mmcnn.StageDecayOptimWrapperConstructor', 'stage_wise',
                     ConvNeXt, 6, 0.9,
                     {'downsample_layers.2.1.weight': 7,
                      'stages.0.1.pwconv1.weight': 6,
                      'stages.3.0.pwconv1.weight': 3, 'norm3.weight': 0}),
}


@pytest.mark.parametrize('recipe', sorted(RECIPES))
def test_hornet_t_recipe_scales(hornet_t, recipe):
    """Each parameter at its recipe's scale of the lr, the head at the lr;
    no weight decay on norms and layer scales."""
    constructor, decay_type, family, num_layers, decay, exponents = RECIPES[
        recipe]
    backbone = hornet_t.backbone
    assert decay_type in backbone.lr_decay_types
    if family is not None:
        rule = family(arch='atto')
        assert all(backbone.layer_id(n, num_layers, decay_type)
                   == rule.layer_id(n, num_layers, decay_type)
                   for n in exponents)
    groups = param_groups(hornet_t, constructor, num_layers, decay, LR, WD)
    params = dict(backbone.named_parameters())
    expected = {params[name]: decay**k for name, k in exponents.items()}
    assert_lr_scales(groups, {**expected, hornet_t.head.weight: 1.}, LR)
    block = backbone.stages[1][0]
    assert groups[id(block.pwconv1.weight)]['weight_decay'] == WD
    assert groups[id(block.gamma1)]['weight_decay'] == 0.
    assert groups[id(block.norm1.weight)]['weight_decay'] == 0.

"""ConvNeXt's layer-wise lr decay rule in mmcnn's constructor."""
import pytest
from _helpers import assert_lr_scales, param_groups
from torch import nn

from mmcnn.models import ConvNeXt, ConvNeXtV2, MogaNet, SLaK, UniRepLKNet

LR, WD, NUM_LAYERS, DECAY = 2e-4, 0.05, 6, 0.7
LAYER_IDS = [
    ('downsample_layers.0.0.weight', 0),
    ('downsample_layers.0.1.bias', 0),
    ('stages.0.2.dwconv.weight', 1),
    ('downsample_layers.1.1.weight', 2),
    ('stages.1.0.gamma', 2),
    ('downsample_layers.2.0.weight', 3),
    ('stages.2.2.pwconv1.weight', 3),
    ('stages.2.3.norm.weight', 4),
    ('stages.2.8.grn.gamma', 5),
    ('downsample_layers.3.1.weight', NUM_LAYERS),
    ('stages.3.2.pwconv2.bias', NUM_LAYERS),
    ('norm0.weight', NUM_LAYERS + 1),
    ('norm3.bias', NUM_LAYERS + 1),
]
STAGE_IDS = [
    ('downsample_layers.0.0.weight', 0),
    ('downsample_layers.3.1.bias', 0),
    ('stages.0.1.dwconv.weight', 1),
    ('stages.2.8.pwconv1.weight', 3),
    ('stages.3.0.gamma', 4),
    ('norm2.weight', NUM_LAYERS + 1),
]


@pytest.fixture(scope='module')
def convnext() -> ConvNeXt:
    return ConvNeXt(arch='atto')


@pytest.mark.parametrize('name, layer_id', LAYER_IDS)
def test_convnext_layer_ids(convnext, name, layer_id):
    assert convnext.layer_id(name, NUM_LAYERS) == layer_id


@pytest.mark.parametrize('backbone_type', [ConvNeXt, ConvNeXtV2])
def test_convnext_t_groups_match_the_official_scales(backbone_type):
    """ConvNeXt-T with num_layers 6: stem at ``0.7 ** 7`` of the lr, the
    last stage at ``0.7``, the output norms and the heads at the lr."""
    model = nn.Module()
    model.backbone = backbone_type(arch='tiny')
    model.neck = nn.Conv2d(768, 8, 1)
    assert backbone_type.layer_id is ConvNeXt.layer_id
    groups = param_groups(model, 'mmcnn.LayerDecayOptimWrapperConstructor',
                          NUM_LAYERS, DECAY, LR, WD)
    backbone = model.backbone
    expected = {
        backbone.downsample_layers[0][0].weight: DECAY ** 7,
        backbone.stages[0][0].pwconv1.weight: DECAY ** 6,
        backbone.stages[2][8].pwconv2.weight: DECAY ** 2,
        backbone.downsample_layers[3][1].weight: DECAY,
        backbone.norm3.weight: 1.,
        model.neck.weight: 1.,
    }
    assert_lr_scales(groups, expected, LR)
    assert {g['layer_id'] for g in groups.values()} == set(range(8))
    block = backbone.stages[1][0]
    assert groups[id(block.pwconv1.weight)]['weight_decay'] == WD
    assert groups[id(block.norm.weight)]['weight_decay'] == 0.
    flat = block.grn.gamma if backbone.use_grn else block.gamma
    assert groups[id(flat)]['weight_decay'] == 0.


@pytest.mark.parametrize('name, stage_id', STAGE_IDS)
def test_convnext_stage_ids(convnext, name, stage_id):
    assert convnext.layer_id(name, NUM_LAYERS, 'stage_wise') == stage_id


def test_families_with_the_convnext_layout_share_its_rules():
    slak = SLaK(arch=dict(depths=[1, 1, 1, 1], embed_dims=[8, 8, 8, 8],
                          kernel_sizes=[7, 7, 7, 7], small_kernel=3))
    for backbone in (ConvNeXtV2(arch='atto'), slak, UniRepLKNet(arch='a')):
        assert backbone.lr_decay_types == ('layer_wise', 'stage_wise')
        for decay_type, ids in (('layer_wise', LAYER_IDS),
                                ('stage_wise', STAGE_IDS)):
            assert [backbone.layer_id(n, NUM_LAYERS, decay_type)
                    for n, _ in ids] == [i for _, i in ids]
        names = [n for n, _ in backbone.named_parameters()]
        assert any(n.startswith('downsample_layers.0.') for n in names)
        assert any(n.startswith('stages.3.') for n in names)
    moganet = MogaNet(arch='xtiny')
    with pytest.raises(KeyError, match='No stage-wise lr decay rule'):
        moganet.layer_id('blocks1.0.mlp.fc1.weight', NUM_LAYERS, 'stage_wise')
    with pytest.raises(ValueError, match='decay_type'):
        moganet.layer_id('blocks1.0.mlp.fc1.weight', NUM_LAYERS, 'block_wise')


def test_stage_decay_constructor_matches_the_official_scales():
    """ConvNeXt's UperNet recipe (stage-wise, 0.9, num_layers 6): every
    downsampling layer at ``0.9 ** 7``, stage i at ``0.9 ** (6 - i)``."""
    model = nn.Module()
    model.backbone = ConvNeXt(arch='tiny')
    model.decode_head = nn.Conv2d(768, 8, 1)
    groups = param_groups(model, 'mmcnn.StageDecayOptimWrapperConstructor',
                          NUM_LAYERS, 0.9, LR, WD)
    backbone = model.backbone
    expected = {
        backbone.downsample_layers[0][0].weight: 0.9 ** 7,
        backbone.downsample_layers[3][1].weight: 0.9 ** 7,
        backbone.stages[0][2].pwconv1.weight: 0.9 ** 6,
        backbone.stages[2][8].pwconv1.weight: 0.9 ** 4,
        backbone.stages[3][0].pwconv2.weight: 0.9 ** 3,
        backbone.norm1.weight: 1.,
        model.decode_head.weight: 1.,
    }
    assert_lr_scales(groups, expected, LR)
    assert groups[id(backbone.stages[3][0].gamma)]['weight_decay'] == 0.

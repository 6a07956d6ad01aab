"""HorNet's lr decay rules in mmcnn's constructors (official HorNet
detection: layer-wise, segmentation: stage-wise)."""
import pytest
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmcnn.engine import (convnext_stage_id, get_layer_id_rule,
                          hornet_layer_id)
from mmcnn.models import HorNet

LR, WD = 2e-4, 0.05


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
def test_hornet_layer_ids(name, layer_id):
    assert hornet_layer_id(name, 12) == layer_id


def _groups(model: nn.Module, constructor: str, num_layers: int,
            decay: float) -> dict:
    optim_wrapper = build_optim_wrapper(
        model,
        dict(
            optimizer=dict(type='AdamW', lr=LR, weight_decay=WD),
            constructor=constructor,
            paramwise_cfg=dict(num_layers=num_layers, decay_rate=decay)))
    return {
        id(p): g
        for g in optim_wrapper.optimizer.param_groups
        for p in g['params']
    }


def test_hornet_t_detection_scales():
    """HorNet-T Cascade Mask R-CNN recipe (layer-wise 0.7, num_layers 12):
    the stem at ``0.7 ** 13``, the last stage at ``0.7``."""
    model = nn.Module()
    model.backbone = HorNet(arch='tiny')
    model.neck = nn.Conv2d(512, 8, 1)
    assert get_layer_id_rule(model.backbone) is hornet_layer_id
    groups = _groups(model, 'mmcnn.LayerDecayOptimWrapperConstructor', 12, 0.7)
    backbone = model.backbone
    expected = {
        backbone.downsample_layers[0][0].weight: 0.7**13,
        backbone.stages[0][0].pwconv1.weight: 0.7**12,
        backbone.stages[2][4].pwconv1.weight: 0.7**8,
        backbone.stages[2][17].pwconv1.weight: 0.7**2,
        backbone.stages[3][1].pwconv2.weight: 0.7,
        backbone.norm2.weight: 1.,
        model.neck.weight: 1.,
    }
    for param, scale in expected.items():
        assert groups[id(param)]['lr'] == pytest.approx(LR * scale)
    block = backbone.stages[1][0]
    assert groups[id(block.pwconv1.weight)]['weight_decay'] == WD
    assert groups[id(block.gamma1)]['weight_decay'] == 0.
    assert groups[id(block.norm1.weight)]['weight_decay'] == 0.


def test_hornet_t_segmentation_scales():
    """HorNet-T UperNet recipe (stage-wise 0.9, num_layers 6)."""
    model = nn.Module()
    model.backbone = HorNet(arch='tiny')
    model.decode_head = nn.Conv2d(512, 8, 1)
    assert get_layer_id_rule(model.backbone, 'stage_wise') is convnext_stage_id
    groups = _groups(model, 'mmcnn.StageDecayOptimWrapperConstructor', 6, 0.9)
    backbone = model.backbone
    expected = {
        backbone.downsample_layers[2][1].weight: 0.9**7,
        backbone.stages[0][1].pwconv1.weight: 0.9**6,
        backbone.stages[3][0].pwconv1.weight: 0.9**3,
        backbone.norm3.weight: 1.,
        model.decode_head.weight: 1.,
    }
    for param, scale in expected.items():
        assert groups[id(param)]['lr'] == pytest.approx(LR * scale)

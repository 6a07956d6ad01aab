"""One rule for the official classifier's final norm, in every family, and
the load report.

The official dense-prediction backbones (ConvNeXt's and FocalNet's
detection code, poolformer ``fork_feat=True``, and the HorNet, SLaK and
UniRepLKNet dense code) build ``norm0``..``norm3`` fresh and load the
classifier file with ``strict=False``: the classifier's ``norm`` is not
used and ``norm3`` stays at weight 1, bias 0. The classification form
(``gap_before_final_norm``, or ``classifier_form`` where the official
classifier normalises the map before pooling) loads it into ``norm3``.
"""
import logging
import re
from typing import Dict, List

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from torch import nn

from mmcnn.models import (ConvFormer, ConvNeXt, ConvNeXtV2, FocalNet, HorNet,
                          PoolFormer, SLaK, UniRepLKNet)
from mmcnn.utils.checkpoint import load_pretrained

FOCALNET = dict(embed_dims=[8, 16, 24, 32], depths=[1, 1, 1, 1],
                focal_levels=[2] * 4, focal_windows=[3] * 4)
POOLFORMER = dict(embed_dims=[8, 16, 24, 32], depths=[1, 1, 1, 1],
                  mlp_ratios=[2] * 4)


def _layer_norm_nchw(x: torch.Tensor, weight: torch.Tensor,
                     bias: torch.Tensor, eps: float) -> torch.Tensor:
    return F.layer_norm(x.permute(0, 2, 3, 1), x.shape[1:2], weight, bias,
                        eps).permute(0, 3, 1, 2)


def _convnext_official(model: nn.Module) -> dict:
    from test_convnext import official_layout
    return official_layout(_random(model), model.embed_dims[-1])


def _focalnet_official(model: nn.Module) -> dict:
    from test_focalnet import official_layout
    return official_layout(_random(model))


def _poolformer_official(model: nn.Module) -> dict:
    from test_metaformer import poolformer_official
    return poolformer_official(_random(model), model.embed_dims[-1])


def _random(model: nn.Module) -> dict:
    gen = torch.Generator().manual_seed(0)
    return {k: torch.randn(v.shape, generator=gen) * 0.3 + (
        1. if k.endswith('weight') and v.dim() == 1 else 0.)
        for k, v in model.state_dict().items()}


# family: (arch, official layout, how the official code applies the last
# stage's norm to the stage map with (weight, bias): the dense output, the
# classification form's output).
FAMILIES: Dict[type, tuple] = {
    ConvNeXt: ('atto', _convnext_official,
               lambda x, w, b: _layer_norm_nchw(x, w, b, 1e-6),
               lambda x, w, b: F.layer_norm(x.mean((2, 3)), w.shape, w, b,
                                            1e-6)),
    ConvNeXtV2: ('atto', _convnext_official,
                 lambda x, w, b: _layer_norm_nchw(x, w, b, 1e-6),
                 lambda x, w, b: F.layer_norm(x.mean((2, 3)), w.shape, w,
                                              b, 1e-6)),
    FocalNet: (FOCALNET, _focalnet_official,
               lambda x, w, b: _layer_norm_nchw(x, w, b, 1e-5),
               lambda x, w, b: _layer_norm_nchw(x, w, b, 1e-5)),
    PoolFormer: (POOLFORMER, _poolformer_official,
                 lambda x, w, b: F.group_norm(x, 1, w, b, 1e-5),
                 lambda x, w, b: F.group_norm(x, 1, w, b, 1e-5)),
}


def _last_stage_map(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The last stage's output before its norm, as NCHW."""
    stage = model.layers[3] if isinstance(model, FocalNet) else \
        model.stages[3]
    maps = []
    handle = stage.register_forward_hook(lambda m, a, out: maps.append(out))
    with torch.no_grad():
        outs = model(x)
    handle.remove()
    (feature, ) = maps
    if isinstance(model, FocalNet):
        feature = feature.permute(0, 3, 1, 2)
    return feature, outs


def _classifier_kwargs(cls: type) -> dict:
    return {cls.classifier_form_arg: True}


@pytest.mark.parametrize('cls', list(FAMILIES), ids=lambda c: c.__name__)
def test_dense_form_starts_norm3_fresh(tmp_path, cls):
    arch, layout, dense_norm, _ = FAMILIES[cls]
    official = layout(cls(arch=arch, out_indices=(3, )))
    assert not torch.allclose(official['norm.weight'],
                              torch.ones_like(official['norm.weight']))
    path = tmp_path / 'official.pth'
    torch.save({'model': official}, path)
    model = cls(arch=arch, init_cfg=dict(type='Pretrained',
                                         checkpoint=str(path))).eval()
    model.init_weights()
    width = model.embed_dims[3]
    assert torch.equal(model.norm3.weight, torch.ones(width))
    assert torch.equal(model.norm3.bias, torch.zeros(width))
    x = torch.randn(1, 3, 70, 101)
    feature, outs = _last_stage_map(model, x)
    fresh = dense_norm(feature, torch.ones(width), torch.zeros(width))
    torch.testing.assert_close(outs[3], fresh)
    used = dense_norm(feature, official['norm.weight'], official['norm.bias'])
    assert not torch.allclose(outs[3], used, atol=1e-3)


@pytest.mark.parametrize('cls', list(FAMILIES), ids=lambda c: c.__name__)
def test_classification_form_uses_the_classifier_norm(tmp_path, cls):
    arch, layout, _, classifier_norm = FAMILIES[cls]
    official = layout(cls(arch=arch, out_indices=(3, )))
    path = tmp_path / 'official.pth'
    torch.save({'model': official}, path)
    model = cls(arch=arch, out_indices=(3, ), **_classifier_kwargs(cls),
                init_cfg=dict(type='Pretrained', checkpoint=str(path),
                              strict=True)).eval()
    model.init_weights()
    weight, bias = official['norm.weight'], official['norm.bias']
    assert torch.equal(model.norm3.weight, weight)
    assert torch.equal(model.norm3.bias, bias)
    feature, (out, ) = _last_stage_map(model, torch.randn(1, 3, 70, 101))
    torch.testing.assert_close(out, classifier_norm(feature, weight, bias))


POOLED = {
    HorNet: dict(embed_dims=[8, 8, 16, 16], depths=[1, 1, 1, 1],
                 orders=[2, 3, 4, 5], global_filter=[False] * 4),
    ConvFormer: dict(embed_dims=[8, 8, 16, 16], depths=[1, 1, 1, 1]),
    SLaK: dict(embed_dims=[8, 8, 16, 16], depths=[1, 1, 1, 1],
               kernel_sizes=[7, 7, 7, 7], small_kernel=3),
    UniRepLKNet: 'atto',
}


@pytest.mark.parametrize('cls', list(POOLED), ids=lambda c: c.__name__)
def test_pooled_families_follow_the_same_rule(tmp_path, cls):
    """HorNet, ConvFormer, SLaK and UniRepLKNet (classifier norm after
    pooling): fresh in the dense form, loaded with gap_before_final_norm."""
    model = cls(arch=POOLED[cls], out_indices=(3, ))
    official = {k: v for k, v in _random(model).items()
                if not k.startswith('norm3.')}
    width = model.embed_dims[3]
    official.update({'norm.weight': torch.rand(width) + 0.5,
                     'norm.bias': torch.randn(width),
                     'head.weight': torch.randn(10, width),
                     'head.bias': torch.randn(10)})
    path = tmp_path / 'official.pth'
    torch.save({'model': official}, path)
    dense = cls(arch=POOLED[cls], out_indices=(3, ), init_cfg=dict(
        type='Pretrained', checkpoint=str(path)))
    dense.init_weights()
    assert torch.equal(dense.norm3.weight, torch.ones(width))
    assert torch.equal(dense.norm3.bias, torch.zeros(width))
    pooled = cls(arch=POOLED[cls], out_indices=(3, ),
                 gap_before_final_norm=True, init_cfg=dict(
                     type='Pretrained', checkpoint=str(path), strict=True))
    pooled.init_weights()
    assert torch.equal(pooled.norm3.weight, official['norm.weight'])
    assert torch.equal(pooled.norm3.bias, official['norm.bias'])


class _Records(logging.Handler):
    """Collects the records of mmengine's current logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records():
    logger = MMLogger.get_current_instance()
    handler = _Records()
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def _official_convnext(tmp_path) -> tuple:
    model = ConvNeXt(arch='atto')
    official = _convnext_official(model)
    ema = {k: v + 1 for k, v in official.items()}
    path = tmp_path / 'convnext_atto_1k_224_ema.pth'
    torch.save({'model': official, 'model_ema': ema, 'epoch': 299}, path)
    return path, official


def test_report_names_every_unloaded_tensor_and_logs_one_info_line(
        tmp_path, records):
    path, official = _official_convnext(tmp_path)
    model = ConvNeXt(arch='atto', init_cfg=dict(type='Pretrained',
                                                checkpoint=str(path)))
    model.init_weights()
    infos = [r for r in records if r.levelno == logging.INFO]
    assert len(infos) == 1 and not [r for r in records
                                    if r.levelno >= logging.WARNING]
    message = infos[0].getMessage()
    expected = len(model.state_dict())
    loaded = len(official) - 4  # head and classifier norm
    first = message.splitlines()[0]
    assert str(path) in first
    assert f'{loaded} of {expected} tensors' in first
    assert "regular weights 'model'; not used: 'model_ema'" in first
    assert re.search(r"classifier head, 2 tensors: not part of a backbone: "
                     r"head\.weight, head\.bias", message)
    assert re.search(r'classifier norm, 2 tensors: applied after global '
                     r'pooling in the official classifier; the official '
                     r'dense backbone does not load it.*: norm\.weight, '
                     r'norm\.bias', message)
    for i in range(4):
        assert f'norm{i}.weight' in message  # not in the file, fresh


def test_report_of_ema_prefix_unexpected_and_mismatched(tmp_path, records):
    path, official = _official_convnext(tmp_path)
    detector = {f'backbone.{k}': v for k, v in official.items()}
    detector['backbone.stages.0.0.gamma'] = torch.ones(7)
    detector['backbone.extra.weight'] = torch.ones(3)
    detector['neck.conv.weight'] = torch.ones(2, 2)
    torch.save({'state_dict': detector, 'ema_state_dict': detector},
               tmp_path / 'det.pth')
    model = ConvNeXt(arch='atto')
    report = load_pretrained(model, str(tmp_path / 'det.pth'),
                             checkpoint_filter=model.convert_checkpoint,
                             prefix='backbone.', use_ema=True)
    groups = {g.what: g for g in report.dropped}
    assert groups["outside prefix 'backbone.'"].keys == ('neck.conv.weight', )
    assert groups['not in ConvNeXt'].keys == ('extra.weight', )
    (mismatch, ) = groups['shape mismatch'].keys
    assert mismatch.startswith('stages.0.0.gamma: checkpoint (7,)')
    assert "EMA weights 'ema_state_dict'; not used: 'state_dict'" \
        in report.summary()
    assert sum(len(g.keys) for g in report.dropped) + len(
        report.loaded) == len(detector)
    info = [r.getMessage() for r in records if r.levelno == logging.INFO]
    warnings = [r.getMessage() for r in records
                if r.levelno == logging.WARNING]
    assert len(info) == 1 and 'neck.conv.weight' in info[0]
    assert len(warnings) == 1 and 'extra.weight' in warnings[0] \
        and 'stages.0.0.gamma' in warnings[0]


def test_strict_ignores_only_what_the_rule_leaves_out(tmp_path):
    path, _ = _official_convnext(tmp_path)
    classifier = ConvNeXt(arch='atto', out_indices=(3, ),
                          gap_before_final_norm=True)
    report = load_pretrained(classifier, str(path), strict=True,
                             checkpoint_filter=classifier.convert_checkpoint)
    assert [g.what for g in report.dropped] == ['classifier head']
    assert not report.missing
    from mmcnn.utils.checkpoint import CheckpointError
    dense = ConvNeXt(arch='atto', out_indices=(3, ))
    with pytest.raises(CheckpointError, match=r'missing.*norm3\.weight'):
        load_pretrained(dense, str(path), strict=True,
                        checkpoint_filter=dense.convert_checkpoint)

"""One rule for the official classifier's final norm, in every family, and
the load report.

The official dense-prediction backbones (ConvNeXt's and FocalNet's
detection code, poolformer ``fork_feat=True``, and the HorNet, SLaK and
UniRepLKNet dense code) build ``norm0``..``norm3`` fresh and load the
classifier file with ``strict=False``: the classifier's ``norm`` is not
used and ``norm3`` stays at weight 1, bias 0. The classification form
(``gap_before_final_norm``, or ``classifier_form`` where the official
classifier normalises the map before pooling) loads it into ``norm3``.
MogaNet, VAN and InternImage normalise every stage map in the classifier and
their official dense backbones load those norms; RepLKNet's BN ``norm`` and
InceptionNeXt's MLP head exist only in the classifiers.
"""
import logging
import re
from typing import Dict, List

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from torch import nn

from mmcnn.models import (VAN, ConvFormer, ConvNeXt, ConvNeXtV2, FocalNet,
                          HorNet, InceptionNeXt, InternImage, MogaNet,
                          PoolFormer, RepLKNet, SLaK, UniRepLKNet)
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


def assert_final_norm_rule(cls: type, arch: str, path: str,
                           state: dict) -> None:
    """From the official file at ``path`` (made from ``state``), the
    classification form loads every tensor strictly; the dense form loads
    the same except ``norm3``, which starts fresh (weight 1, bias 0)."""
    checkpoint = dict(type='Pretrained', checkpoint=str(path))
    classifier = cls(arch=arch, out_indices=(3, ), classifier_form=True,
                     init_cfg=dict(checkpoint, strict=True))
    classifier.init_weights()
    for key, value in classifier.state_dict().items():
        assert torch.equal(value, state[key]), key
    dense = cls(arch=arch, out_indices=(3, ), init_cfg=checkpoint)
    dense.init_weights()
    for key, value in dense.state_dict().items():
        expected = (torch.full_like(value, float(key.endswith('weight')))
                    if key.startswith('norm3.') else state[key])
        assert torch.equal(value, expected), key


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


def _release(entry: str, weights: dict, ema: dict) -> dict:
    """A file in a family's release layout: timm (``state_dict``,
    ``state_dict_ema``, ``args``), FAIR (``model``, ``model_ema``,
    ``args``), Swin (``model``, ``model_ema``, ``config``) or bare."""
    import argparse
    if entry == 'bare':
        return weights
    ema_entry = {'state_dict': 'state_dict_ema'}.get(entry, 'model_ema')
    extra = ({'config': {'MODEL': {'TYPE': 'intern_image'}}}
             if entry == 'swin' else {'args': argparse.Namespace(lr=4e-3)})
    return {'model' if entry == 'swin' else entry: weights,
            ema_entry: ema, 'epoch': 299, **extra}


def _moganet_release(model: nn.Module) -> tuple:
    state = _random(model)
    width = model.embed_dims[-1]
    return 'state_dict', state, {'head.weight': torch.randn(10, width),
                                 'head.bias': torch.randn(10)}


def _van_release(model: nn.Module) -> tuple:
    from test_van import official_layout
    state = official_layout(_random(model), model.embed_dims[-1])
    head = {k: state.pop(k) for k in ('head.weight', 'head.bias')}
    return 'state_dict', state, head


def _internimage_release(model: nn.Module) -> tuple:
    from test_internimage import official_key
    state = {official_key(k): v for k, v in _random(model).items()}
    width = model.embed_dims[-1]
    return 'swin', state, {
        'conv_head.0.weight': torch.randn(2 * width, width, 1, 1),
        'conv_head.1.0.weight': torch.rand(2 * width) + 0.5,
        'conv_head.1.0.bias': torch.randn(2 * width),
        'conv_head.1.0.running_mean': torch.randn(2 * width),
        'conv_head.1.0.running_var': torch.rand(2 * width) + 0.5,
        'conv_head.1.0.num_batches_tracked': torch.tensor(7),
        'head.weight': torch.randn(10, 2 * width),
        'head.bias': torch.randn(10)}


def _replknet_release(model: nn.Module) -> tuple:
    width = model.embed_dims[-1]
    return 'model', _random(model), {
        'norm.weight': torch.rand(width) + 0.5,
        'norm.bias': torch.randn(width),
        'norm.running_mean': torch.randn(width),
        'norm.running_var': torch.rand(width) + 0.5,
        'norm.num_batches_tracked': torch.tensor(7),
        'head.weight': torch.randn(10, width), 'head.bias': torch.randn(10)}


def _inceptionnext_release(model: nn.Module) -> tuple:
    width = model.embed_dims[-1]
    hidden = 3 * width
    return 'bare', _random(model), {
        'head.fc1.weight': torch.randn(hidden, width),
        'head.fc1.bias': torch.randn(hidden),
        'head.norm.weight': torch.rand(hidden) + 0.5,
        'head.norm.bias': torch.randn(hidden),
        'head.fc2.weight': torch.randn(10, hidden),
        'head.fc2.bias': torch.randn(10)}


# family: (arch, the release file's layout builder, the groups the dense form
# leaves out, the model's output norms that load from the file). MogaNet's
# and VAN's classifiers normalise every stage map (the last one before
# pooling) and their official dense backbones (MogaNet_feat, VAN-Segmentation)
# load norm1..norm4 from the file; InternImage's levels end in their own LN,
# loaded alike; RepLKNet's classifier BN ``norm`` and InceptionNeXt's MLP
# head (with its LayerNorm) exist only in the classifiers.
RELEASES: Dict[type, tuple] = {
    MogaNet: ('xtiny', _moganet_release, {'classifier head': 2},
              ['norm1', 'norm4']),
    VAN: ('b0', _van_release, {'classifier head': 2}, ['norm1', 'norm4']),
    InternImage: (dict(embed_dims=[16, 32, 64, 128], depths=[1, 1, 2, 1],
                       groups=[1, 2, 4, 8]), _internimage_release,
                  {'classifier head': 8}, ['stages.0.norm', 'stages.3.norm']),
    RepLKNet: (dict(large_kernel_sizes=[7, 7, 7, 5], depths=[1, 1, 1, 1],
                    embed_dims=[8, 16, 16, 32], small_kernel=3),
               _replknet_release, {'classifier head': 2, 'classifier norm': 5},
               []),
    InceptionNeXt: (dict(embed_dims=[8, 16, 24, 32], depths=[1, 1, 1, 1],
                         mlp_ratios=[2, 2, 2, 2]), _inceptionnext_release,
                    {'classifier head': 6}, []),
}


@pytest.mark.parametrize('cls', list(RELEASES), ids=lambda c: c.__name__)
def test_dense_form_loads_what_the_official_dense_code_loads(tmp_path, cls):
    """Every backbone tensor of the release file loads (stage norms the
    official dense code loads included); only the classifier's own
    tensors are left out, each named in the report."""
    arch, release, left_out, loaded_norms = RELEASES[cls]
    model = cls(arch=arch)
    entry, state, classifier = release(model)
    ema = {k: v + 1 if v.is_floating_point() else v
           for k, v in {**state, **classifier}.items()}
    path = tmp_path / 'release.pth'
    torch.save(_release(entry, {**state, **classifier}, ema), path)
    report = load_pretrained(model, str(path),
                             checkpoint_filter=model.convert_checkpoint)
    assert not report.missing and not report.unexpected
    assert {g.what: len(g.keys) for g in report.dropped} == left_out
    assert {k for g in report.dropped for k in g.keys} == set(classifier)
    assert len(report.loaded) == len(model.state_dict()) == len(state)
    own = model.state_dict()
    from_file = state
    if cls is InternImage:
        from test_internimage import official_key
        from_file = {k: state[official_key(k)] for k in own}
    for name in loaded_norms:
        for param in ('weight', 'bias'):
            key = f'{name}.{param}'
            assert torch.equal(own[key], from_file[key]), key
            assert not torch.equal(own[key], torch.full_like(
                own[key], float(param == 'weight'))), key
    if entry != 'bare':
        use_ema = load_pretrained(cls(arch=arch), str(path), use_ema=True,
                                  checkpoint_filter=model.convert_checkpoint)
        assert use_ema.weights.startswith('EMA weights')


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

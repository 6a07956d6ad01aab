"""ConvNeXt and ConvNeXt V2: sizes, GRN and checkpoints in the official,
timm and mmpretrain layouts (the backbone contract: test_contract.py)."""
import argparse
import re

import pytest
import torch
from _helpers import (assert_classifier_params, assert_loaded,
                      assert_same_features_as_mmpretrain, classifier_tensors,
                      load_through_init_cfg, randomized_state)
from torch import nn

from mmcnn.models import GRN, ConvNeXt, ConvNeXtV2
from mmcnn.utils.checkpoint import load_pretrained

# Parameters with the 1000-class classifier (final LN + Linear), counted
# from the official implementations (facebookresearch/ConvNeXt and
# ConvNeXt-V2; atto..nano V1 from timm, which defines them), and the
# published figures in millions at the precision they were published with
# (papers' tables; timm's model cards for V1 atto..nano).
PARAMS = {
    (ConvNeXt, 'atto'): (3_695_520, 3.70, 2),
    (ConvNeXt, 'femto'): (5_217_784, 5.22, 2),
    (ConvNeXt, 'pico'): (9_045_672, 9.05, 2),
    (ConvNeXt, 'nano'): (15_593_560, 15.59, 2),
    (ConvNeXt, 'tiny'): (28_589_128, 28.6, 1),
    (ConvNeXt, 'small'): (50_223_688, 50.2, 1),
    (ConvNeXt, 'base'): (88_591_464, 88.6, 1),
    (ConvNeXt, 'large'): (197_767_336, 198, 0),
    (ConvNeXt, 'xlarge'): (350_196_968, 350, 0),
    (ConvNeXtV2, 'atto'): (3_708_400, 3.7, 1),
    (ConvNeXtV2, 'femto'): (5_233_240, 5.2, 1),
    (ConvNeXtV2, 'pico'): (9_066_280, 9.1, 1),
    (ConvNeXtV2, 'nano'): (15_623_800, 15.6, 1),
    (ConvNeXtV2, 'tiny'): (28_635_496, 28.6, 1),
    (ConvNeXtV2, 'base'): (88_717_800, 89, 0),
    (ConvNeXtV2, 'large'): (197_956_840, 198, 0),
    (ConvNeXtV2, 'huge'): (660_289_640, 660, 0),
}


@pytest.mark.parametrize('cls,arch', sorted(PARAMS, key=str),
                         ids=lambda v: getattr(v, '__name__', v))
def test_param_counts_with_classifier(cls, arch):
    with torch.device('meta'):
        # Only the last stage's norm: it plays the official final norm.
        model = cls(arch=arch, out_indices=(-1, ))
        head = nn.Linear(model.embed_dims[-1], 1000)
    assert_classifier_params(model, head, *PARAMS[(cls, arch)])


def test_arch_zoos_differ_as_published():
    assert 'huge' in ConvNeXtV2.arch_zoo and 'huge' not in ConvNeXt.arch_zoo
    assert 'xlarge' in ConvNeXt.arch_zoo
    assert 'xlarge' not in ConvNeXtV2.arch_zoo
    assert 'small' not in ConvNeXtV2.arch_zoo


def test_block_variants():
    v1 = ConvNeXt(arch='atto').stages[0][0]
    v2 = ConvNeXtV2(arch='atto').stages[0][0]
    no_ls = ConvNeXt(arch='atto', layer_scale_init_value=0.).stages[0][0]
    assert torch.equal(v1.gamma, torch.full((40, ), 1e-6))
    assert v1.grn is None
    assert v2.gamma is None and no_ls.gamma is None
    assert isinstance(v2.grn, GRN) and v2.grn.gamma.shape == (160, )
    assert not v2.grn.gamma.any() and not v2.grn.beta.any()
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm)
                   for m in ConvNeXt(arch='atto').modules())


def test_grn_matches_paper_equation():
    # Channel c constant a_c over an H x W map: G_c = |a_c| sqrt(HW), so
    # N_c = |a_c| / mean(|a|) = (0.5, 1.5) for a = (1, 3).
    x = torch.tensor([1., 3.]).expand(2, 4, 5, 2).clone()
    grn = GRN(2)
    assert torch.equal(grn(x), x)
    with torch.no_grad():
        grn.gamma.fill_(1.)
        grn.beta.copy_(torch.tensor([0.25, -1.]))
    y = grn(x)
    torch.testing.assert_close(y[0, 0, 0], torch.tensor([1.75, 6.5]))
    assert torch.equal(y, y[:1, :1, :1].expand_as(y))


@pytest.mark.parametrize('size', [(7, 6), (2, 2)])  # scaled weight / input
def test_grn_project_equals_grn_then_linear(size):
    torch.manual_seed(0)
    grn, linear = GRN(12), nn.Linear(12, 5)
    nn.init.normal_(grn.gamma)
    nn.init.normal_(grn.beta)
    x = torch.randn(3, *size, 12, requires_grad=True)
    expected = linear(grn(x))
    fused = grn.project(x, linear)
    torch.testing.assert_close(fused, expected)
    params = [x, grn.gamma, grn.beta, linear.weight, linear.bias]
    for a, b in zip(torch.autograd.grad(expected.square().sum(), params),
                    torch.autograd.grad(fused.square().sum(), params)):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    with torch.no_grad():
        fresh = x.detach().clone()
        in_place = grn.project(fresh, linear)
    torch.testing.assert_close(in_place, expected.detach())
    assert not torch.equal(fresh, x.detach())  # scaled in place


def test_init_from_scratch():
    model = ConvNeXt(arch='atto')
    model.init_weights()
    weight = model.stages[2][0].pwconv1.weight
    assert weight.std().item() == pytest.approx(0.02, rel=0.05)
    assert not model.stages[2][0].pwconv1.bias.any()


def test_custom_arch_with_three_stages():
    model = ConvNeXtV2(arch=dict(embed_dims=[16, 32, 48], depths=[1, 1, 1]),
                       out_indices=(0, 1, 2))
    assert [tuple(o.shape) for o in model(torch.randn(1, 3, 64, 64))] == [
        (1, 16, 16, 16), (1, 32, 8, 8), (1, 48, 4, 4)]


def official_layout(state: dict, width: int) -> dict:
    """Inverse of the filter: an official classification checkpoint."""
    official = {}
    for key, value in state.items():
        if key.startswith('norm3.'):
            key = 'norm.' + key[len('norm3.'):]
        elif key.startswith('norm'):
            continue
        if '.grn.' in key:
            value = value.reshape(1, 1, 1, -1)
        official[key] = value
    official.update(classifier_tensors(width, norm=False))
    return official


def assert_classifier_form_loads(cls: type, path, state: dict) -> None:
    """The classification form loads every tensor of ``state`` from the
    release file at ``path`` strictly, the classifier's norm as norm3."""
    classifier = cls(arch='atto', out_indices=(3, ),
                     gap_before_final_norm=True,
                     init_cfg=dict(type='Pretrained', checkpoint=str(path),
                                   strict=True))
    classifier.init_weights()
    for key, value in classifier.state_dict().items():
        assert torch.equal(value, state[key]), key


@pytest.mark.parametrize('cls', [ConvNeXt, ConvNeXtV2])
def test_official_checkpoint_loads_through_init_cfg(tmp_path, cls):
    state = randomized_state(cls(arch='atto'))
    path = tmp_path / 'convnext_atto_1k_224_ema.pth'
    release = {'model': official_layout(state, 320), 'epoch': 299,
               'args': argparse.Namespace(model='convnext_atto')}
    model = load_through_init_cfg(cls(arch='atto'), release, path)
    # Output norms of the dense version start as identity, as in the
    # official detection backbone: the classifier's final norm is not
    # loaded.
    assert_loaded(model, state, fresh='norm')
    assert_classifier_form_loads(cls, path, state)


def timm_layout(state: dict) -> dict:
    """Inverse of the filter: timm's keys, conv-MLP weights as 1x1 convs
    (timm's atto..nano ConvNeXt use ``conv_mlp=True``)."""
    rules = [(r'^downsample_layers\.0\.', 'stem.'),
             (r'^downsample_layers\.(\d)\.', r'stages.\1.downsample.'),
             (r'^stages\.(\d+)\.(\d+)\.', r'stages.\1.blocks.\2.'),
             (r'\.dwconv\.', '.conv_dw.'), (r'\.pwconv(\d)\.', r'.mlp.fc\1.'),
             (r'\.grn\.gamma$', '.mlp.grn.weight'),
             (r'\.grn\.beta$', '.mlp.grn.bias'), (r'^norm3\.', 'head.norm.')]
    timm = {}
    for key, value in state.items():
        if re.match(r'norm[012]\.', key):
            continue
        for pattern, replacement in rules:
            key = re.sub(pattern, replacement, key)
        if '.mlp.fc' in key and key.endswith('weight'):
            value = value[..., None, None]
        timm[key] = value
    timm['head.fc.weight'] = torch.randn(1000, 320)
    timm['head.fc.bias'] = torch.randn(1000)
    return timm


@pytest.mark.parametrize('cls', [ConvNeXt, ConvNeXtV2])
def test_timm_checkpoint_loads(tmp_path, cls):
    state = randomized_state(cls(arch='atto', out_indices=(3, )))
    path = tmp_path / 'timm_convnext_atto.pth'
    torch.save(timm_layout(state), path)
    assert_classifier_form_loads(cls, path, state)
    dense = cls(arch='atto', out_indices=(3, ))
    report = load_pretrained(dense, str(path),
                             checkpoint_filter=dense.convert_checkpoint)
    assert torch.equal(dense.norm3.weight, torch.ones(320))
    assert torch.equal(dense.norm3.bias, torch.zeros(320))
    groups = {g.what: g.keys for g in report.dropped}
    assert groups == {'classifier head': ('head.fc.weight', 'head.fc.bias'),
                      'classifier norm': ('head.norm.weight',
                                          'head.norm.bias')}


def fcmae_layout(state: dict) -> dict:
    """ConvNeXt V2's FCMAE pre-training layout of ``state``: the sparse
    encoder under ``encoder.`` (MinkowskiEngine ``kernel`` tensors,
    ``ln``/``linear`` wrappers, ``(1, C)`` biases and GRN parameters) and
    the decoder."""
    sparse = {}
    for key, value in state.items():
        if re.match(r'norm\d\.', key):
            continue
        parts = key.split('.')
        if re.match(r'(downsample_layers\.[123]\.1|.*\.dwconv)\.weight$',
                    key):
            size = value.shape[-1]
            value = value.transpose(2, 3).reshape(*value.shape[:2],
                                                  size * size)
            value = (value.permute(2, 1, 0) if value.shape[1] > 1 else
                     value[:, 0].t())
            parts[-1] = 'kernel'
        elif re.match(r'(downsample_layers\.[123]\.1|.*\.dwconv|.*\.grn)\.',
                      key):
            value = value.reshape(1, -1)
        elif re.match(r'(downsample_layers\.[123]\.0|.*\.norm)\.', key):
            parts.insert(-1, 'ln')
        elif '.pwconv' in key:
            parts.insert(-1, 'linear')
        sparse['encoder.' + '.'.join(parts)] = value.contiguous()
    sparse.update({'proj.weight': torch.randn(512, 320, 1, 1),
                   'proj.bias': torch.randn(512),
                   'mask_token': torch.zeros(1, 512, 1, 1),
                   'decoder.0.dwconv.weight': torch.randn(512, 1, 7, 7),
                   'pred.weight': torch.randn(3072, 512, 1, 1),
                   'pred.bias': torch.randn(3072)})
    return sparse


def test_fcmae_checkpoint_loads_its_encoder(tmp_path):
    """The FCMAE file the V2 fine-tuning config starts from: the sparse
    encoder becomes the dense one (the checks against the official
    ``remap_checkpoint_keys`` gave the same tensors), the decoder is left
    out and named."""
    state = randomized_state(ConvNeXtV2(arch='atto'))
    path = tmp_path / 'convnextv2_atto_1k_224_fcmae.pt'
    sparse = fcmae_layout(state)
    assert sparse['encoder.stages.0.0.dwconv.kernel'].shape == (49, 40)
    assert sparse['encoder.downsample_layers.1.1.kernel'].shape == (4, 40, 80)
    torch.save({'model': sparse, 'epoch': 799}, path)
    model = ConvNeXtV2(arch='atto')
    report = load_pretrained(model, str(path),
                             checkpoint_filter=model.convert_checkpoint)
    for key, value in model.state_dict().items():
        if re.match(r'norm\d\.', key):
            assert key in report.missing
        else:
            assert torch.equal(value, state[key]), key
    (decoder, ) = report.dropped
    assert decoder.what == 'FCMAE decoder' and set(decoder.keys) == {
        'proj.weight', 'proj.bias', 'mask_token', 'decoder.0.dwconv.weight',
        'pred.weight', 'pred.bias'}
    assert len(report.loaded) + len(decoder.keys) == len(sparse)


@pytest.mark.parametrize('cls', [ConvNeXt, ConvNeXtV2])
def test_mmpretrain_checkpoint_gives_same_features(tmp_path, cls):
    """mmpretrain's own ConvNeXt, saved as a classifier checkpoint, loads
    with ``prefix='backbone.'`` and computes the same features."""
    from mmpretrain.models import ConvNeXt as MMPretrainConvNeXt
    v2 = cls is ConvNeXtV2
    reference = MMPretrainConvNeXt(
        arch='atto', out_indices=(0, 1, 2, 3), gap_before_final_norm=False,
        use_grn=v2, layer_scale_init_value=0. if v2 else 1e-6)
    reference.load_state_dict(randomized_state(reference))
    assert_same_features_as_mmpretrain(
        reference, cls(arch='atto'), tmp_path / 'mmpretrain_convnext_atto.pth')

"""PoolFormer and ConvFormer: sizes, token mixers and the official
classification and dense-prediction checkpoints (the backbone contract:
test_contract.py)."""
import re

import pytest
import torch
import torch.nn.functional as F
from _helpers import (assert_classifier_params, assert_loaded,
                      classifier_tensors, randomized_state)
from test_official_dense import assert_final_norm_rule
from torch import nn

from mmcnn.models import ConvFormer, PoolFormer
from mmcnn.models.backbones.metaformer import Pooling, StarReLU


def mlp_head(width: int) -> nn.Module:
    """ConvFormer's official MlpHead: fc1 (4x), SquaredReLU, LN, fc2."""
    return nn.Sequential(nn.Linear(width, 4 * width),
                         nn.LayerNorm(4 * width),
                         nn.Linear(4 * width, 1000))


# Parameters with the official 1000-class classifier, counted from the
# implementation (PoolFormer's equal mmpretrain's metafile), and the
# published figures in millions (PoolFormer and MetaFormer Baselines
# papers). With ``out_indices=(3,)`` the backbone keeps only ``norm3``,
# which has the size of the official final norm (PoolFormer: the same
# GroupNorm; ConvFormer: the LayerNorm before the MLP head).
PARAMS = {
    (PoolFormer, 's12'): (11_915_176, 12),
    (PoolFormer, 's24'): (21_388_968, 21),
    (PoolFormer, 's36'): (30_862_760, 31),
    (PoolFormer, 'm36'): (56_172_520, 56),
    (PoolFormer, 'm48'): (73_473_448, 73),
    (ConvFormer, 's18'): (26_774_448, 27),
    (ConvFormer, 's36'): (40_012_152, 40),
    (ConvFormer, 'm36'): (57_051_640, 57),
    (ConvFormer, 'b36'): (99_882_616, 100),
}


@pytest.mark.parametrize('cls,arch', sorted(PARAMS, key=str),
                         ids=lambda v: getattr(v, '__name__', v))
def test_param_counts_with_classifier(cls, arch):
    with torch.device('meta'):
        model = cls(arch=arch, out_indices=(3, ))
        width = model.embed_dims[-1]
        head = (mlp_head(width) if cls is ConvFormer
                else nn.Linear(width, 1000))
    assert_classifier_params(model, head, *PARAMS[(cls, arch)])


def test_pooling_mixer_is_average_minus_input():
    x = torch.randn(1, 3, 6, 7)
    expected = F.avg_pool2d(x, 3, 1, 1, count_include_pad=False) - x
    torch.testing.assert_close(Pooling()(x), expected)
    # Padding is not averaged in: a constant map is left unmixed.
    assert Pooling()(torch.full((1, 2, 5, 5), 3.)).abs().max() == 0


def test_star_relu_equation():
    act = StarReLU(scale_value=0.5, bias_value=-0.25)
    x = torch.linspace(-2, 2, 9)
    torch.testing.assert_close(act(x), 0.5 * x.clamp(min=0)**2 - 0.25)


def test_poolformer_layer_scales_follow_depth():
    assert PoolFormer(arch='s12').stages[0][0].layer_scale_1[0] == 1e-5
    with torch.device('meta'):
        deep = PoolFormer(arch='s36')
    assert deep.arch_settings['layer_scale_init_value'] == 1e-6


def test_convformer_blocks():
    model = ConvFormer(arch='s18')
    block = model.stages[0][0]
    assert block.token_mixer.dwconv.kernel_size == (7, 7)
    assert block.token_mixer.pwconv1.out_features == 2 * 64
    assert block.norm1.bias is None and block.mlp.fc1.bias is None
    assert [type(model.stages[i][0].res_scale1).__name__
            for i in range(4)] == ['Identity', 'Identity', 'ChannelScale',
                                   'ChannelScale']
    assert isinstance(model.downsample_layers[0].post_norm, nn.LayerNorm)
    assert isinstance(model.downsample_layers[1].pre_norm, nn.LayerNorm)


def test_init_from_scratch():
    model = ConvFormer(arch='s18')
    model.init_weights()
    weight = model.stages[2][0].mlp.fc1.weight
    assert weight.std().item() == pytest.approx(0.02, rel=0.1)
    pool = PoolFormer(arch='s12')
    pool.init_weights()
    assert torch.all(pool.stages[0][0].mlp.fc1.bias == 0)


def poolformer_official(state: dict, width: int) -> dict:
    """sail-sg/poolformer's classification keys: ``patch_embed``, a flat
    ``network`` list, ``norm`` and ``head``."""
    official = {}
    for key, value in state.items():
        match = re.match(r'^(\w+?)\.?(\d+)\.(.*)$', key)
        kind, index, rest = match.groups()
        index = int(index)
        if kind == 'downsample_layers':
            key = (f'network.{2 * index - 1}.proj.{rest}' if index
                   else f'patch_embed.proj.{rest}')
        elif kind == 'stages':
            key = f'network.{2 * index}.{rest}'
        else:
            key = f'norm.{rest}'
        official[key] = value
    official.update(classifier_tensors(width, norm=False))
    return official


def test_poolformer_official_checkpoint_loads_through_init_cfg(tmp_path):
    state = randomized_state(PoolFormer(arch='s12', out_indices=(3, )))
    path = tmp_path / 'poolformer_s12.pth.tar'
    torch.save(poolformer_official(state, 512), path)
    assert_final_norm_rule(PoolFormer, 's12', path, state)


def test_poolformer_official_detector_checkpoint(tmp_path):
    """An official ``fork_feat`` detector: ``backbone.`` keys with output
    norms ``norm0``, ``norm2``, ``norm4``, ``norm6``."""
    state = randomized_state(PoolFormer(arch='s12'))
    official = {}
    for key, value in poolformer_official(
            {k: v for k, v in state.items() if not k.startswith('norm')},
            512).items():
        if not key.startswith(('norm.', 'head.')):
            official['backbone.' + key] = value
    for i in range(4):
        for name in ('weight', 'bias'):
            official[f'backbone.norm{2 * i}.{name}'] = state[f'norm{i}.{name}']
    official['neck.lateral_convs.0.conv.weight'] = torch.randn(8, 64, 1, 1)
    path = tmp_path / 'mask_rcnn_poolformer_s12.pth'
    torch.save({'meta': {}, 'state_dict': official}, path)
    model = PoolFormer(arch='s12', init_cfg=dict(
        type='Pretrained', checkpoint=str(path), prefix='backbone.',
        strict=True))
    model.init_weights()
    assert_loaded(model, state)


def test_convformer_official_checkpoint_loads_through_init_cfg(tmp_path):
    state = randomized_state(ConvFormer(arch='s18', out_indices=(3, )))
    official = {k: v for k, v in state.items() if not k.startswith('norm')}
    official.update({'norm.weight': torch.randn(512),
                     'norm.bias': torch.randn(512),
                     'head.fc1.weight': torch.randn(2048, 512),
                     'head.fc2.weight': torch.randn(1000, 2048)})
    path = tmp_path / 'convformer_s18.pth'
    torch.save(official, path)
    model = ConvFormer(arch='s18', out_indices=(3, ), init_cfg=dict(
        type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    assert_loaded(model, state, fresh='norm3.')  # a new output norm


def test_star_relu_in_place_inference_path_matches_autograd_path():
    act = StarReLU(scale_value=0.8, bias_value=-0.3)
    x = torch.randn(2, 5, 6, 7)
    with torch.no_grad():
        fresh = x.clone()
        fast = act(fresh)
    assert fast.data_ptr() == fresh.data_ptr()  # written over its input
    reference = act(x)
    assert reference.requires_grad and not fast.requires_grad
    torch.testing.assert_close(fast, reference.detach())
    torch.testing.assert_close(fast, 0.8 * x.clamp(min=0)**2 - 0.3)


def test_star_relu_fused_backward_matches_autograd_chain():
    act = StarReLU(scale_value=0.8, bias_value=-0.3).double()
    x = torch.randn(2, 5, 6, 7, dtype=torch.float64)
    x[0, 0, 0, :3] = 0.  # relu's kink: both sides take gradient 0 there
    x.requires_grad_(True)
    assert torch.autograd.gradcheck(act, (x, ))
    grad = torch.randn_like(x)
    fused = torch.autograd.grad(act(x), [x, act.scale, act.bias], grad)
    chain = act.scale * torch.relu(x).square() + act.bias
    expected = torch.autograd.grad(chain, [x, act.scale, act.bias], grad)
    for a, b in zip(fused, expected):
        assert a.shape == b.shape
        torch.testing.assert_close(a, b)
    frozen = StarReLU()
    frozen.requires_grad_(False)
    (dx, ) = torch.autograd.grad(frozen(x.float()).sum(), [x])
    torch.testing.assert_close(dx, 2 * torch.relu(x))

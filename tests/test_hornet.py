"""HorNet: sizes, gnConv and the global filter, and checkpoints in the
official and mmpretrain layouts (the backbone contract: test_contract.py)."""
import pytest
import torch
from _helpers import (TINY_ARCHS, assert_classifier_params, assert_loaded,
                      assert_same_features_as_mmpretrain, classifier_tensors,
                      randomized_state)
from torch import nn

from mmcnn.models import HorNet
from mmcnn.models.backbones.hornet import GlobalLocalFilter, GnConv

# Parameters with a classifier (the final LayerNorm, kept as ``norm3``, and
# a Linear), counted from the implementation; T/S/B with 1000 classes equal
# mmpretrain's metafile. Published figures in millions from the
# raoyongming/HorNet README. Its ImageNet-22K L models (209M, 211M) are
# matched with a 10,450-class classifier (ImageNet-21K-P's class count);
# with 1000 classes they have 194.5M and 196.3M.
PARAMS = {
    ('tiny', 1000): (22_409_512, 22),
    ('tiny-gf', 1000): (22_991_848, 23),
    ('small', 1000): (49_528_264, 50),
    ('small-gf', 1000): (50_401_768, 50),
    ('base', 1000): (87_256_680, 87),
    ('base-gf', 1000): (88_421_352, 88),
    ('large', 10450): (209_067_154, 209),
    ('large-gf', 10450): (210_814_162, 211),
}

TINY = TINY_ARCHS['HorNet']


@pytest.mark.parametrize('arch,classes', sorted(PARAMS))
def test_param_counts_with_classifier(arch, classes):
    with torch.device('meta'):
        model = HorNet(arch=arch, out_indices=(3, ))
        head = nn.Linear(model.embed_dims[-1], classes)
    assert_classifier_params(model, head, *PARAMS[(arch, classes)])


def test_gnconv_orders_and_widths():
    model = HorNet(arch='tiny')
    for i, order in enumerate([2, 3, 4, 5]):
        gnconv = model.stages[i][0].gnconv
        width = model.embed_dims[i]
        assert gnconv.dims == [width // 2**k for k in reversed(range(order))]
        assert len(gnconv.pws) == order - 1
        assert gnconv.dwconv.kernel_size == (7, 7)
        assert gnconv.scale == pytest.approx(1 / 3)


def test_gnconv_recursion():
    """``p_1 = p_0 * q_0``, ``p_{k+1} = pws_k(p_k) * q_k`` (paper Eq. 3)."""
    gnconv = GnConv(8, order=3)
    x = torch.randn(1, 8, 5, 6)
    with torch.no_grad():
        p, branch = gnconv.proj_in(x).split([2, 14], dim=1)
        q = (gnconv.dwconv(branch) / 3).split([2, 4, 8], dim=1)
        p = gnconv.pws[1](gnconv.pws[0](p * q[0]) * q[1]) * q[2]
        torch.testing.assert_close(gnconv(x), gnconv.proj_out(p))
    with pytest.raises(ValueError, match='divisible by 4'):
        GnConv(6, order=3)


@pytest.mark.parametrize('size,filters', [
    (224, [(14, 8), (7, 4)]), (384, [(24, 13), (12, 7)])])
def test_global_filter_sizes(size, filters):
    with torch.device('meta'):
        model = HorNet(arch='tiny-gf', pretrain_img_size=size)
    assert isinstance(model.stages[1][0].gnconv.dwconv, nn.Conv2d)
    shapes = [tuple(model.stages[i][0].gnconv.dwconv.complex_weight.shape)
              for i in (2, 3)]
    assert shapes == [(480 // 2, *filters[0], 2), (992 // 2, *filters[1], 2)]


@pytest.mark.parametrize('size', [(14, 14), (6, 10)])
def test_global_filter_with_unit_spectrum_interleaves_halves(size):
    """A unit spectral filter and an identity DW kernel leave both halves
    unchanged; they are interleaved channel by channel. A constant filter
    stays constant when resized to other input sizes."""
    layer = GlobalLocalFilter(8, (14, 8))
    with torch.no_grad():
        layer.complex_weight.zero_()
        layer.complex_weight[..., 0] = 1
        layer.dw.weight.zero_()
        layer.dw.weight[:, :, 1, 1] = 1
        layer.pre_norm.weight.uniform_(0.5, 1.5)
        x = torch.randn(2, 8, *size)
        normed = layer.pre_norm(x)
        expected = torch.stack(normed.chunk(2, dim=1), dim=2).reshape(
            2, 8, *size)
        torch.testing.assert_close(layer(x), layer.post_norm(expected),
                                   atol=1e-5, rtol=1e-5)


def test_tiny_gf_runs_off_its_filter_size():
    model = HorNet(arch='tiny-gf', out_indices=(2, 3)).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 96, 64))
    assert [tuple(o.shape) for o in outs] == [(1, 256, 6, 4),
                                              (1, 512, 3, 2)]


def test_layer_scale_init():
    assert torch.all(HorNet(arch='tiny').stages[0][0].gamma1 == 1e-6)


def test_orders_must_divide_the_widths():
    with pytest.raises(ValueError, match='divisible'):
        HorNet(arch=dict(TINY, orders=[5, 3, 4, 4]))


def test_official_checkpoint_loads_through_init_cfg(tmp_path):
    """Official keys are mmcnn's; the classifier's ``norm`` (applied after
    pooling) and ``head`` are dropped."""
    state = randomized_state(HorNet(arch=TINY))
    official = {k: v for k, v in state.items() if not k.startswith('norm')}
    official.update(classifier_tensors(64))
    path = tmp_path / 'hornet_custom.pth'
    torch.save({'model': official, 'epoch': 299}, path)
    model = HorNet(arch=TINY, init_cfg=dict(type='Pretrained',
                                            checkpoint=str(path)))
    model.init_weights()
    assert_loaded(model, state, fresh='norm')


def test_global_filters_are_resized_on_loading():
    source = HorNet(arch=TINY, pretrain_img_size=384)
    state = randomized_state(source)
    model = HorNet(arch=TINY)
    converted = HorNet.checkpoint_filter(state, model)
    key = 'stages.2.0.gnconv.dwconv.complex_weight'
    assert state[key].shape[1:3] == (24, 13)
    assert converted[key].shape == model.state_dict()[key].shape
    torch.testing.assert_close(converted[key][:, 0, 0], state[key][:, 0, 0])


def test_mmpretrain_checkpoint_gives_same_features(tmp_path):
    """mmpretrain's HorNet (``projs``, ``gamma1.weight``), saved as a
    classifier checkpoint, loads with ``prefix='backbone.'`` and computes
    the same features."""
    from mmpretrain.models import HorNet as MMPretrainHorNet
    reference = MMPretrainHorNet(
        arch=dict(base_dim=8, depths=[1] * 4, orders=[2, 3, 4, 4],
                  dw_cfg=[dict(type='DW', kernel_size=7)] * 2 + [
                      dict(type='GF', h=14, w=8), dict(type='GF', h=7, w=4)]),
        out_indices=(0, 1, 2, 3), gap_before_final_norm=False)
    reference.load_state_dict(randomized_state(reference, std=0.3))
    assert_same_features_as_mmpretrain(
        reference, HorNet(arch=TINY),
        tmp_path / 'mmpretrain_hornet_custom.pth')

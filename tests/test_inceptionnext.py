"""InceptionNeXt: sizes, the Inception token mixer, its block layout and
official checkpoints (the backbone contract: test_contract.py)."""
import pytest
import torch
from _helpers import assert_classifier_params, assert_loaded
from torch import nn

from mmcnn.models import InceptionNeXt
from mmcnn.models.backbones.inceptionnext import InceptionDWConv2d

# Parameters with the official 1000-class MLP head (GAP -> Linear(C, 3C) ->
# GELU -> LN -> Linear(3C, 1000)), counted from the official implementation
# (sail-sg/inceptionnext), and the published figures in millions at the
# precision of the paper's / README's tables.
PARAMS = {
    'atto': (4_156_520, 4.2, 1),
    'tiny': (28_055_680, 28, 0),
    'small': (49_374_016, 49, 0),
    'base': (86_672_136, 87, 0),
}


def mlp_head(width: int) -> nn.Module:
    """The official MLP head: Linear(C, 3C), GELU, LN, Linear(3C, 1000)."""
    return nn.Sequential(nn.Linear(width, 3 * width), nn.GELU(),
                         nn.LayerNorm(3 * width, eps=1e-6),
                         nn.Linear(3 * width, 1000))


@pytest.mark.parametrize('arch', sorted(PARAMS))
def test_param_counts_with_mlp_head(arch):
    with torch.device('meta'):
        model = InceptionNeXt(arch=arch)
        head = mlp_head(model.embed_dims[-1])
    assert_classifier_params(model, head, *PARAMS[arch])


@pytest.mark.parametrize('arch,split,band', [
    ('atto', [10, 10, 10, 10], 9),
    ('tiny', [60, 12, 12, 12], 11),
])
def test_token_mixer_branches(arch, split, band):
    mixer = InceptionNeXt(arch=arch).stages[0].blocks[0].token_mixer
    assert mixer.split_sizes == split
    g = split[1]
    assert mixer.dwconv_hw.weight.shape == (g, 1, 3, 3)
    assert mixer.dwconv_w.weight.shape == (g, 1, 1, band)
    assert mixer.dwconv_h.weight.shape == (g, 1, band, 1)


def test_token_mixer_receptive_fields():
    """An impulse spreads over a 3x3 square, a row and a column in the
    three conv branches and stays put in the identity branch."""
    mixer = InceptionDWConv2d(16, band_kernel_size=5, branch_ratio=0.25)
    with torch.no_grad():
        for conv in (mixer.dwconv_hw, mixer.dwconv_w, mixer.dwconv_h):
            conv.weight.uniform_(0.5, 1.)
            conv.bias.zero_()
        x = torch.zeros(1, 16, 9, 9)
        x[:, :, 4, 4] = 1.
        y = mixer(x)
    support = [(y[0, c] != 0).nonzero().tolist() for c in (0, 4, 8, 12)]
    assert support[0] == [[4, 4]]
    assert support[1] == [[r, c] for r in (3, 4, 5) for c in (3, 4, 5)]
    assert support[2] == [[4, c] for c in range(2, 7)]
    assert support[3] == [[r, 4] for r in range(2, 7)]


def test_block_layout():
    model = InceptionNeXt(arch='tiny')
    assert isinstance(model.stages[0].downsample, nn.Identity)
    assert isinstance(model.stages[1].downsample[0], nn.BatchNorm2d)
    assert [s.blocks[0].mlp.fc1.out_channels for s in model.stages] == [
        384, 768, 1536, 2304]
    assert torch.equal(model.stages[3].blocks[2].gamma,
                       torch.full((768, ), 1e-6))
    assert InceptionNeXt(arch='atto', layer_scale_init_value=0.).stages[
        0].blocks[0].gamma is None


def test_norm_cfg_reaches_every_norm():
    model = InceptionNeXt(arch='atto', norm_cfg=dict(type='SyncBN'))
    norms = [m for m in model.modules()
             if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert len(norms) == 1 + 3 + 12
    assert all(isinstance(m, nn.SyncBatchNorm) for m in norms)


def test_custom_arch_with_two_stages_and_branch_errors():
    model = InceptionNeXt(arch=dict(embed_dims=[16, 32], depths=[1, 1],
                                    mlp_ratios=[2, 2], branch_ratio=0.25),
                          out_indices=(0, 1))
    assert [tuple(o.shape) for o in model(torch.randn(1, 3, 32, 32))] == [
        (1, 16, 8, 8), (1, 32, 4, 4)]
    with pytest.raises(ValueError, match='branch_ratio=0.4'):
        InceptionNeXt(arch=dict(embed_dims=[16, 32], depths=[1, 1],
                                mlp_ratios=[2, 2], branch_ratio=0.4),
                      out_indices=(1, ))
    with pytest.raises(ValueError, match='0 channels per conv branch'):
        InceptionNeXt(arch=dict(embed_dims=[4, 32], depths=[1, 1],
                                mlp_ratios=[2, 2]), out_indices=(1, ))


def test_official_checkpoint_loads_through_init_cfg(tmp_path):
    source = InceptionNeXt(arch='atto')
    state = {k: torch.randn_like(v) if v.is_floating_point() else v + 7
             for k, v in source.state_dict().items()}
    official = dict(state)
    for name, shape in [('fc1.weight', (960, 320)), ('fc1.bias', (960, )),
                        ('norm.weight', (960, )), ('norm.bias', (960, )),
                        ('fc2.weight', (1000, 960)), ('fc2.bias', (1000, ))]:
        official[f'head.{name}'] = torch.randn(shape)
    path = tmp_path / 'inceptionnext_atto.pth'
    torch.save(official, path)
    model = InceptionNeXt(arch='atto', init_cfg=dict(
        type='Pretrained', checkpoint=str(path), strict=True))
    model.init_weights()
    assert_loaded(model, state)


def test_classifier_in_mmpretrain():
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS as CLS_MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        classifier = CLS_MODELS.build(dict(
            type='ImageClassifier',
            backbone=dict(type='mmcnn.InceptionNeXt', arch='atto',
                          out_indices=(3, )),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=10,
                      in_channels=320)))
    classifier.init_weights()
    assert isinstance(classifier.backbone, InceptionNeXt)
    with torch.no_grad():
        logits = classifier(torch.randn(2, 3, 64, 64), mode='tensor')
    assert logits.shape == (2, 10) and torch.isfinite(logits).all()

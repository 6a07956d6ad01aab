"""Deploy re-parameterisation: fold helpers, every family's deploy form,
the deploy tool."""
import argparse
from functools import partial
from pathlib import Path
from typing import Callable

import pytest
import torch
from _helpers import count_params
from mmengine.config import Config
from torch import nn

from mmcnn.analysis import count_macs
from mmcnn.models import (VAN, ConvFormer, ConvNeXt, FocalNet, HorNet,
                          InceptionNeXt, InternImage, MogaNet, PoolFormer)
from mmcnn.models.backbones.base import ConvNetBackbone
from mmcnn.models.layers.fuse import (bn_to_affine, fold_input_affine,
                                      fold_input_bn, fold_output_affine,
                                      fold_output_bn)
from tools.deploy import reparameterize

ROOT = Path(__file__).resolve().parents[1]
CLS_CONFIG = ROOT / 'configs' / 'cls' / 'moganet' / 'moganet-xt_8xb128_in1k.py'


def randomize(model: nn.Module, seed: int = 0) -> nn.Module:
    """Non-trivial BN statistics and affines, layer scales and sigmas."""
    gen = torch.Generator().manual_seed(seed)

    def fill(tensor: torch.Tensor, low: float, high: float) -> None:
        tensor.data.copy_(torch.rand(tensor.shape, generator=gen) *
                          (high - low) + low)

    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            fill(module.running_mean, -1, 1)
            fill(module.running_var, 0.5, 2)
            fill(module.weight, 0.5, 1.5)
            fill(module.bias, -0.5, 0.5)
    for name, param in model.named_parameters():
        if ('layer_scale' in name or 'sigma' in name or 'gamma' in name
                or name.endswith('bias')):
            fill(param, -0.3, 0.3)
    return model


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / a.abs().max())


def bn(channels: int, cls: type = nn.BatchNorm2d) -> nn.Module:
    return randomize(cls(channels).eval())


@pytest.mark.parametrize('groups', [1, 4])
def test_fold_bn_after_and_before_grouped_conv(groups):
    conv = randomize(nn.Conv2d(8, 12, 3, padding=1, groups=groups))
    norm_out, norm_in = bn(12), bn(8)
    x = torch.randn(2, 8, 9, 7)
    with torch.no_grad():
        fused = fold_output_bn(conv, norm_out)
        assert torch.allclose(fused(x), norm_out(conv(x)), atol=1e-5)
        unpadded = nn.Conv2d(8, 12, 3, groups=groups, bias=False)
        fused = fold_input_bn(norm_in, unpadded)
        assert unpadded.bias is None and fused.bias is not None
        assert torch.allclose(fused(x), unpadded(norm_in(x)), atol=1e-5)


def test_fold_linear_and_scales():
    linear = randomize(nn.Linear(6, 5))
    norm_in, norm_out = bn(6, nn.BatchNorm1d), bn(5, nn.BatchNorm1d)
    x = torch.randn(4, 6)
    scale, shift = torch.randn(5), torch.randn(5)
    with torch.no_grad():
        assert torch.allclose(fold_input_bn(norm_in, linear)(x),
                              linear(norm_in(x)), atol=1e-5)
        assert torch.allclose(fold_output_bn(linear, norm_out)(x),
                              norm_out(linear(x)), atol=1e-5)
        assert torch.allclose(fold_output_affine(linear, scale, shift)(x),
                              scale * linear(x) + shift, atol=1e-5)
        in_scale = torch.randn(6)
        assert torch.allclose(fold_input_affine(linear, in_scale)(x),
                              linear(in_scale * x), atol=1e-5)
    a, b = bn_to_affine(norm_in)
    assert torch.allclose(norm_in(x), (a * x + b).float(), atol=1e-5)


@pytest.mark.parametrize('fold', [fold_input_affine, fold_output_affine])
def test_fold_keeps_bias_free_layers_bias_free_unless_shifted(fold):
    layer = nn.Conv2d(4, 4, 1, bias=False)
    scale, shift = torch.rand(4) + 0.5, torch.randn(4)
    x = torch.randn(2, 4, 3, 3)
    scaled, shifted = fold(layer, scale), fold(layer, scale, shift)
    assert scaled.bias is None and shifted.bias is not None
    view = (1, -1, 1, 1)
    if fold is fold_input_affine:
        expected = layer(scale.view(view) * x + shift.view(view))
    else:
        expected = scale.view(view) * layer(x) + shift.view(view)
    with torch.no_grad():
        assert torch.allclose(shifted(x), expected, atol=1e-5)


def test_fold_refuses_inexact_cases():
    padded = nn.Conv2d(4, 4, 3, padding=1)
    with pytest.raises(ValueError, match='zero-pads'):
        fold_input_bn(bn(4), padded)
    scale_only = fold_input_affine(padded, torch.full((4, ), 2.))
    x = torch.randn(1, 4, 5, 5)
    with torch.no_grad():
        assert torch.allclose(scale_only(x), padded(2 * x), atol=1e-5)
    with pytest.raises(TypeError, match='Only batch norms'):
        fold_output_bn(padded, nn.GroupNorm(2, 4))
    with pytest.raises(ValueError, match='running'):
        fold_output_bn(padded, nn.BatchNorm2d(4, track_running_stats=False))


@pytest.mark.parametrize(
    'arch', ['xtiny', 'tiny', 'small', 'base', 'large', 'xlarge'])
def test_moganet_deploy_is_exact_and_smaller(arch):
    torch.set_num_threads(1)
    model = randomize(MogaNet(arch=arch)).eval()
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        before = model(x)
        params = count_params(model)
        model.switch_to_deploy()
        after = model(x)
    for a, b in zip(before, after):
        assert relative_error(a, b) < 1e-4
    assert count_params(model) < params
    assert not any(isinstance(m, nn.BatchNorm2d)
                   for name, m in model.named_modules()
                   if name.startswith(('blocks', 'patch_embed')))


@pytest.mark.parametrize('arch', ['atto', 'tiny', 'small', 'base'])
def test_inceptionnext_deploy_is_exact_smaller_and_loads(arch):
    model = check_deploy(partial(InceptionNeXt, arch=arch))
    block = model.stages[2].blocks[0]
    assert block.deploy and block.gamma is None
    assert isinstance(block.norm, nn.Identity)


def test_moganet_deploy_counts_fewer_macs():
    model = randomize(MogaNet(arch=dict(
        embed_dims=[16, 32, 48, 64], depths=[1, 1, 1, 1],
        ffn_ratios=[8, 8, 4, 4]))).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        train_macs = count_macs(model, (x, ))
        model.switch_to_deploy()
        deploy_macs = count_macs(model, (x, ))
    assert 0 < deploy_macs < train_macs


def test_deploy_constructor_matches_switched_model():
    switched = MogaNet(arch='xtiny')
    switched.switch_to_deploy()
    switched.switch_to_deploy()
    built = MogaNet(arch='xtiny', deploy=True)
    assert built.deploy and switched.deploy
    assert {k: v.shape for k, v in built.state_dict().items()} == {
        k: v.shape for k, v in switched.state_dict().items()}
    assert 'blocks1.0.shortcut_scale' in built.state_dict()
    assert 'blocks1.0.norm1.weight' not in built.state_dict()


def test_backbone_without_deploy_form_raises():

    class Plain(ConvNetBackbone):
        arch_zoo = {'a': dict(widths=[4])}
        arch_keys = ('widths', )

        def __init__(self) -> None:
            super().__init__('a', (0, ), 0, False)
            self.conv = nn.Conv2d(3, 4, 1)

    with pytest.raises(NotImplementedError, match='no deploy form'):
        Plain().switch_to_deploy()


def _classifier(cfg: Config) -> nn.Module:
    from mmpretrain.registry import MODELS
    return MODELS.build(cfg.model).eval()


def test_reparameterize_backbone_loads_with_deploy_config(tmp_path):
    pytest.importorskip('mmpretrain')
    tool = reparameterize
    source = randomize(MogaNet(arch='xtiny', out_indices=(3, ))).eval()
    state = dict(source.state_dict())
    state['head.weight'] = torch.randn(1000, 192)
    state['head.bias'] = torch.randn(1000)
    official = tmp_path / 'moganet_xtiny_official.pth.tar'
    torch.save({'state_dict': state, 'args': argparse.Namespace(
        model='moganet_xtiny')}, official)
    out = tmp_path / 'deploy.pth'
    error = tool.main(['moganet-xtiny', str(official), str(out),
                       '--shape', '64', '64'])
    assert error < 1e-4

    cfg = Config.fromfile(str(CLS_CONFIG))
    cfg.model.backbone.update(
        deploy=True,
        init_cfg=dict(type='Pretrained', checkpoint=str(out)))
    classifier = _classifier(cfg)
    classifier.init_weights()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = source(x)[0]
        got = classifier.backbone(x)[0]
    assert classifier.backbone.blocks1[0].deploy
    assert relative_error(expected, got) < 1e-4


def test_reparameterize_config_model(tmp_path):
    pytest.importorskip('mmpretrain')
    from mmengine.runner import load_checkpoint
    tool = reparameterize
    cfg = Config.fromfile(str(CLS_CONFIG))
    trained = randomize(_classifier(cfg))
    ckpt = tmp_path / 'trained.pth'
    torch.save({'state_dict': trained.state_dict(), 'meta': {}}, ckpt)
    out = tmp_path / 'deploy.pth'
    tool.main([str(CLS_CONFIG), str(ckpt), str(out), '--shape', '64', '64'])

    cfg.model.backbone.deploy = True
    deployed = _classifier(cfg)
    load_checkpoint(deployed, str(out), strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = trained(x, mode='tensor')
        got = deployed(x, mode='tensor')
    assert relative_error(expected, got) < 1e-4
    assert count_params(deployed) < count_params(trained)


def _trained_with_override(tmp_path: Path) -> tuple:
    """A classifier trained with ``--cfg-options model.head.num_classes=10``:
    its config (as mmengine saves it) and checkpoint path in a work dir."""
    cfg = Config.fromfile(str(CLS_CONFIG))
    cfg.model.head.num_classes = 10
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    ckpt = work_dir / 'epoch_1.pth'
    torch.save({'state_dict': randomize(_classifier(cfg)).state_dict(),
                'meta': {}}, ckpt)
    return cfg, ckpt


def test_reparameterize_cfg_options_and_saved_config(tmp_path, capsys):
    pytest.importorskip('mmpretrain')
    tool = reparameterize
    cfg, ckpt = _trained_with_override(tmp_path)
    out = str(tmp_path / 'deploy.pth')
    args = [str(CLS_CONFIG), str(ckpt), out, '--shape', '32']

    with pytest.raises(SystemExit, match=r'(?s)head\.fc\.weight.*'
                       'pass the same ones here'):
        tool.main(args)
    assert tool.main(args + ['--cfg-options', 'model.head.num_classes=10'
                             ]) < 1e-4
    assert f'model built from {CLS_CONFIG} with --cfg-options' in \
        capsys.readouterr().out

    # mmengine's copy of the training config beside the checkpoint wins.
    saved = ckpt.parent / CLS_CONFIG.name
    cfg.dump(str(saved))
    assert tool.main(args) < 1e-4
    printed = capsys.readouterr().out
    assert f'model built from {saved} (saved in the work dir' in printed
    assert f'The model was built from {saved}' in printed
    with pytest.raises(SystemExit, match='pass the same ones here'):
        tool.main(args + ['--no-saved-config'])


def test_reparameterize_reads_meta_cfg_as_data_only(tmp_path, capsys):
    pytest.importorskip('mmpretrain')
    tool = reparameterize
    cfg, ckpt = _trained_with_override(tmp_path)
    state = torch.load(ckpt, weights_only=True)
    moved = tmp_path / 'moved.pth'  # no saved config beside it
    torch.save(dict(state, meta={'cfg': cfg.pretty_text}), moved)
    out = str(tmp_path / 'deploy.pth')
    assert tool.main([str(CLS_CONFIG), str(moved), out, '--shape',
                      '32']) < 1e-4
    assert f'model built from the meta.cfg of {moved}' in \
        capsys.readouterr().out

    marker = tmp_path / 'ran'
    text = cfg.pretty_text + f'\nimport os\nos.mkdir({str(marker)!r})\n'
    torch.save(dict(state, meta={'cfg': text}), moved)
    with pytest.raises(SystemExit, match='pass the same ones here'):
        tool.main([str(CLS_CONFIG), str(moved), out, '--shape', '32'])
    assert "The checkpoint's meta.cfg is not plain data" in \
        capsys.readouterr().out
    assert not marker.exists()  # nothing in meta.cfg was run


def check_deploy(build: Callable[..., ConvNetBackbone]) -> nn.Module:
    """Switch a randomised ``build()`` to deploy twice: outputs within 1e-4,
    fewer parameters, and ``build(deploy=True)`` loads the switched weights
    strictly and reproduces them exactly. Returns the switched model."""
    torch.set_num_threads(1)
    model = randomize(build()).eval()
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        before = model(x)
        params = count_params(model)
        model.switch_to_deploy()
        model.switch_to_deploy()
        after = model(x)
    for a, b in zip(before, after):
        assert relative_error(a, b) < 1e-4
    assert count_params(model) < params
    built = build(deploy=True).eval()
    built.load_state_dict(model.state_dict(), strict=True)
    with torch.no_grad():
        for a, b in zip(after, built(x)):
            assert torch.equal(a, b)
    return model


@pytest.mark.parametrize('arch', ['atto', 'tiny'])
def test_convnext_deploy_folds_layer_scales_exactly(arch):
    model = check_deploy(partial(ConvNeXt, arch=arch))
    assert all(block.gamma is None for stage in model.stages
               for block in stage)


@pytest.mark.parametrize('arch', ['b0', 'b2'])
def test_van_deploy_is_exact_smaller_and_loads(arch):
    model = check_deploy(partial(VAN, arch=arch))
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())


SMALL_FOCALNET = dict(embed_dims=[16, 32, 64, 128], depths=[1, 1, 2, 1],
                      focal_levels=[3] * 4, focal_windows=[3] * 4)
SMALL_INTERNIMAGE = dict(embed_dims=[16, 32, 64, 128], depths=[1, 1, 2, 1],
                         groups=[1, 2, 4, 8], layer_scale=1e-5)


@pytest.mark.parametrize('build', [
    partial(HorNet, arch='tiny'),
    partial(HorNet, arch='tiny-gf'),
    partial(FocalNet, arch=dict(SMALL_FOCALNET, layer_scale=1e-4)),
    partial(FocalNet, arch=dict(SMALL_FOCALNET, layer_scale=1e-4,
                                post_norm=True)),
    partial(InternImage, arch=SMALL_INTERNIMAGE),
    partial(InternImage, arch=dict(SMALL_INTERNIMAGE, post_norm=True)),
], ids=['hornet', 'hornet-gf', 'focalnet-layer-scale', 'focalnet-post-norm',
        'internimage-layer-scale', 'internimage-post-norm'])
def test_layer_scales_fold_exactly(build):
    model = check_deploy(build)
    assert not any('gamma' in name for name, _ in model.named_parameters())


def random_group_norms(model: nn.Module) -> nn.Module:
    """PoolFormer with random GroupNorm scales and shifts: the folded
    mixer must cancel the shifts and keep the scales."""
    gen = torch.Generator().manual_seed(1)
    for module in model.modules():
        if isinstance(module, nn.GroupNorm):
            module.weight.data.uniform_(0.5, 1.5, generator=gen)
            module.bias.data.uniform_(-1., 1., generator=gen)
    return model


def random_affines(model: nn.Module) -> nn.Module:
    """ConvFormer with non-trivial norm weights, StarReLU scales and
    biases (of both signs) and residual scales."""
    gen = torch.Generator().manual_seed(2)
    for name, param in model.named_parameters():
        if param.dim() == 1:
            low, high = ((-0.5, 0.5) if name.endswith('act1.bias')
                         or name.endswith('act.bias') else (0.5, 1.5))
            param.data.uniform_(low, high, generator=gen)
            if name.endswith('act.scale'):
                param.data.neg_()
    return model


@pytest.mark.parametrize('build,folded,added,count', [
    (lambda **kwargs: random_group_norms(PoolFormer(arch='s12', **kwargs)),
     ('layer_scale', '.norm1.'), 'mixer_scale', 12),
    (lambda **kwargs: random_affines(ConvFormer(arch='s18', **kwargs)),
     ('.norm1.', '.norm2.', '.mlp.act.', 'pre_norm'), 'mlp.fc2.bias', 18),
], ids=['poolformer-norm-into-mixer', 'convformer-norms-and-star-relu'])
def test_metaformer_deploy_folds_norms(build, folded, added, count):
    """PoolFormer folds its first norm and both layer scales into the
    pooling mixer and fc2; ConvFormer its norm weights into the projections
    reading them and the MLP's StarReLU affine into fc2 (a new bias)."""
    model = check_deploy(build)
    names = [name for name, _ in model.named_parameters()]
    assert not any(part in name for name in names for part in folded)
    assert sum(added in name for name in names) == count

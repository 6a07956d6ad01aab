"""Tests of SparK pre-training for mmcnn's backbones (projects/mim_pretrain).

Leakage: with a fixed mask, noise added at the masked positions of the
input and of every block's output changes no feature at an active position
of any stage (exactly), in training mode; the dense backbone, as a control,
does change. Pre-training: the demo configs train for 20 iterations on
generated images with the loss falling, and the checkpoint loads into the
family's RetinaNet config with every backbone tensor matched.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from torch import nn

import mmcnn.models  # noqa: F401
from mmcnn.models.backbones import ConvNetBackbone, ConvNeXtV2
from mmcnn.registry import MODELS
from projects.mim_pretrain.mim_pretrain import (SUPPORTED_FAMILIES,
                                                active_patches, to_sparse)
from projects.mim_pretrain.mim_pretrain.sparse import (active_mask,
                                                       to_sparse_module)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))
CONFIGS = osp.join(ROOT, 'projects', 'mim_pretrain', 'configs')

WIDTHS = [16, 32, 64, 128]
DEPTHS = [1, 1, 1, 1]
TINY_ARCHS: Dict[str, dict] = {
    'ConvNeXt': dict(),
    'ConvNeXtV2': dict(),
    'InceptionNeXt': dict(mlp_ratios=[2] * 4),
    'MogaNet': dict(ffn_ratios=[2] * 4),
    'PoolFormer': dict(mlp_ratios=[2] * 4),
    'ConvFormer': dict(),
    'VAN': dict(mlp_ratios=[2] * 4),
    'FocalNet': dict(focal_levels=[2] * 4, focal_windows=[3] * 4),
    'HorNet': dict(orders=[2, 3, 4, 5],
                   global_filter=[False, False, True, True]),
    'RepLKNet': dict(large_kernel_sizes=[13, 11, 9, 7], small_kernel=5,
                     dw_ratio=1.0, norm_intermediate_features=False),
    'SLaK': dict(kernel_sizes=[13, 11, 9, 7], small_kernel=5,
                 width_factor=1.3),
    'UniRepLKNet': dict(kernel_sizes=[[3], [13], [11], [7]]),
    'InternImage': dict(groups=[1, 2, 4, 8]),
}
"""One block per stage, every family's position-mixing operator kept
(large, dilated and strip kernels, GRN, FFT filters, focal levels, DCNv3),
at 128x128 inputs: 4x4 patches of 32 pixels, maps of 32..4 pixels."""


def build_tiny(family: str, sparse: bool) -> ConvNetBackbone:
    """A float64 tiny ``family`` with random parameters (layer scales, GRN
    and DCNv3 offsets away from their zero inits), in training mode."""
    arch = dict(embed_dims=WIDTHS, depths=DEPTHS, **TINY_ARCHS[family])
    model = MODELS.build(dict(type=f'mmcnn.{family}', arch=arch)).double()
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(torch.randn(param.shape, generator=generator,
                                    dtype=param.dtype) * 0.3)
    if sparse:
        to_sparse(model)
    return model.train()


def fixed_mask() -> torch.Tensor:
    """A (2, 1, 4, 4) mask of active patches, about half of them."""
    mask = torch.rand(2, 1, 4, 4,
                      generator=torch.Generator().manual_seed(1)) < 0.5
    mask[:, 0, 0, 0] = True
    mask[:, 0, 3, 3] = False
    return mask


def forward_with_noise(model: ConvNetBackbone, image: torch.Tensor,
                       seed: int) -> Tuple[torch.Tensor, ...]:
    """The backbone's stage outputs (its layers, without the converted
    model's input masking) with noise added at the masked positions of the
    image and of every block's and downsampling layer's output."""
    generator = torch.Generator().manual_seed(seed)

    def noisy(x: torch.Tensor, channels_last: bool) -> torch.Tensor:
        keep = active_mask(x, channels_last)
        noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
        return x + noise * (1 - keep)

    def hook(module: nn.Module, args: tuple, out: torch.Tensor):
        return noisy(out, model.channels_last_maps)

    handles = []
    for index in range(model.num_stages):
        for module in model.trunk_modules(index):
            children = (list(module.children()) if isinstance(
                module, (nn.Sequential, nn.ModuleList)) else [module])
            handles += [m.register_forward_hook(hook) for m in children]
    try:
        return ConvNetBackbone.forward(model, noisy(image, False))
    finally:
        for handle in handles:
            handle.remove()


def active_differences(family: str, sparse: bool) -> List[float]:
    """Per stage, the largest change at an active position between two
    runs with different noise at the masked positions."""
    model = build_tiny(family, sparse)
    image = torch.randn(2, 3, 128, 128, dtype=torch.float64,
                        generator=torch.Generator().manual_seed(2))
    mask = fixed_mask()
    with active_patches(mask):
        first = forward_with_noise(model, image, seed=3)
        second = forward_with_noise(model, image, seed=4)
        return [((a - b).abs() * active_mask(a)).max().item()
                for a, b in zip(first, second)]


@pytest.mark.parametrize('family', list(TINY_ARCHS))
def test_no_leakage_from_masked_positions(family: str) -> None:
    torch.set_num_threads(1)
    assert active_differences(family, sparse=True) == [0.] * 4
    assert min(active_differences(family, sparse=False)) > 0, (
        'the dense control should leak: the test would not see a leak')


def test_statistics_cover_the_active_positions_only() -> None:
    mask = fixed_mask()
    x = torch.randn(2, 8, 16, 16, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(5)) * 3 + 1
    with active_patches(mask):
        keep = active_mask(x).bool().expand_as(x)
        pool = to_sparse_module(nn.AvgPool2d(3, 1, 1,
                                             count_include_pad=False))
        # ones at the active cells, noise at the masked ones: the mean of
        # the active cells of every window is 1
        ones = torch.where(keep, torch.ones_like(x), x)
        assert torch.equal(pool(ones)[keep], torch.ones_like(x)[keep])
        bn = to_sparse_module(nn.BatchNorm2d(8).double())
        rows = bn(x).permute(0, 2, 3, 1)[keep.permute(0, 2, 3, 1)[..., 0]]
        torch.testing.assert_close(rows.mean(0), torch.zeros(8).double())
        torch.testing.assert_close(rows.var(0, unbiased=False),
                                   torch.ones(8).double(), rtol=0,
                                   atol=1e-4)
        gn = to_sparse_module(nn.GroupNorm(2, 8).double())
        out = gn(x).view(2, 2, 4, 16, 16)
        groups = keep.view(2, 2, 4, 16, 16)
        for n in range(2):
            for g in range(2):
                values = out[n, g][groups[n, g]]
                assert abs(values.mean().item()) < 1e-12
                assert abs(values.var(unbiased=False).item() - 1) < 1e-4
        assert torch.equal(bn(x)[~keep], torch.zeros_like(x)[~keep])


def test_to_sparse_keeps_keys_and_rejects_what_it_cannot_mask() -> None:
    dense = MODELS.build(dict(type='mmcnn.ConvNeXtV2', arch='atto'))
    keys = {k: v.clone() for k, v in dense.state_dict().items()}
    sparse = to_sparse(dense)
    assert isinstance(sparse, ConvNeXtV2)
    assert list(sparse.state_dict()) == list(keys)
    assert all(torch.equal(v, keys[k])
               for k, v in sparse.state_dict().items())
    assert len(SUPPORTED_FAMILIES) == 12
    with pytest.raises(ValueError, match='deploy form'):
        to_sparse(MODELS.build(dict(type='mmcnn.VAN', arch='b0', deploy=True)))
    with pytest.raises(ValueError, match='pooled classifier features'):
        to_sparse(MODELS.build(dict(type='mmcnn.ConvNeXt', arch='atto',
                                    gap_before_final_norm=True)))
    with pytest.raises(TypeError, match='no mask-aware rules'):
        to_sparse(nn.Conv2d(3, 3, 3))
    image = torch.zeros(1, 3, 64, 64)
    with pytest.raises(RuntimeError, match='No active mask'):
        sparse(image)
    with active_patches(torch.ones(1, 1, 3, 3, dtype=torch.bool)):
        with pytest.raises(ValueError, match='cannot follow'):
            sparse(image)


DEMOS: Dict[str, Tuple[str, str, str]] = {
    'convnext-atto': ('convnext', 'retinanet_convnext-t_fpn_1x_coco.py',
                      'atto'),
    'convnext-v2-atto': ('convnext-v2',
                         'retinanet_convnext-v2-t_fpn_1x_coco.py', 'atto'),
    'moganet-xt': ('moganet', 'retinanet_moganet-xt_fpn_1x_coco.py', ''),
    'van-b0': ('van', 'retinanet_van-b0_fpn_1x_coco.py', ''),
    'poolformer-s12': ('poolformer', 'retinanet_poolformer-s12_fpn_1x_coco.py',
                       ''),
    'inceptionnext-t': ('inceptionnext',
                        'retinanet_inceptionnext-t_fpn_1x_coco.py', ''),
    'convformer-s18': ('convformer', 'retinanet_convformer-s18_fpn_1x_coco.py',
                       ''),
    'replknet-31b': ('replknet', 'retinanet_replknet-31b_fpn_1x_coco.py', ''),
    'slak-t': ('slak', 'retinanet_slak-t_fpn_1x_coco.py', ''),
    'unireplknet-t': ('unireplknet', 'retinanet_unireplknet-t_fpn_1x_coco.py',
                      ''),
    'hornet-t': ('hornet', 'retinanet_hornet-t_fpn_1x_coco.py', ''),
    'focalnet-t-srf': ('focalnet', 'retinanet_focalnet-t-srf_fpn_1x_coco.py',
                       ''),
    'internimage-t': ('internimage', 'retinanet_internimage-t_fpn_1x_coco.py',
                      ''),
}
"""Demo config (``spark_<name>_demo.py``) -> the family's det folder, its
RetinaNet config and the arch to set there ('' for the config's own)."""

TRAINED = ('convnext-atto', 'moganet-xt')
"""The demos pre-trained here (the file stays under 90 s on a shared
2-core CPU); every demo config ran 3 iterations by hand (README)."""


def det_backbone_cfg(demo: str, arch: Optional[dict] = None) -> Config:
    """The backbone config of the family's RetinaNet config, with the
    demo's arch (or ``arch``)."""
    folder, name, demo_arch = DEMOS[demo]
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'det', folder, name))
    if arch or demo_arch:
        cfg.model.backbone.arch = arch or demo_arch
    return cfg.model.backbone


def tiny_arch(demo: str) -> dict:
    """The tiny test arch (:data:`TINY_ARCHS`) of ``demo``'s family."""
    family = det_backbone_cfg(demo).type.split('.')[-1]
    return dict(embed_dims=WIDTHS, depths=DEPTHS, **TINY_ARCHS[family])


@pytest.mark.parametrize(
    'demo', [d for d in DEMOS if d not in TRAINED + ('convnext-v2-atto', )])
def test_demo_config_pretrains_the_det_backbone(demo: str) -> None:
    """The demos not pre-trained below pre-train their det backbone."""
    model = Config.fromfile(
        osp.join(CONFIGS, f'spark_{demo}_demo.py')).model
    assert model.type == 'mmcnn.ConvNetSparK'
    assert model.backbone.type == 'mmcnn.SparseBackbone'
    pretrained, det = model.backbone.backbone, det_backbone_cfg(demo)
    # arguments that leave the state dict's keys and shapes alone (the
    # checkpoint carries every output norm; SyncBN and BN share keys)
    same_tensors = {'init_cfg', 'drop_path_rate', 'out_indices', 'norm_cfg',
                    'frozen_stages', 'norm_eval', 'with_cp', 'channels_last'}
    for key, value in det.items():
        if key not in same_tensors:
            assert pretrained.get(key) == value, (key, pretrained.get(key))
    assert tuple(pretrained.out_indices) == (0, 1, 2, 3)
    assert pretrained.init_cfg is None


@pytest.fixture(scope='module')
def demo_images(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A folder of 16 generated 96x96 images: discs on plain grounds."""
    folder = tmp_path_factory.mktemp('spark_images')
    rng = np.random.default_rng(0)
    for index in range(16):
        image = np.full((96, 96, 3), rng.integers(0, 255, 3), np.uint8)
        for _ in range(3):
            colour = tuple(int(v) for v in rng.integers(0, 255, 3))
            x, y = (int(v) for v in rng.integers(10, 86, 2))
            cv2.circle(image, (x, y), int(rng.integers(8, 30)), colour, -1)
        cv2.imwrite(str(folder / f'{index}.png'), image)
    return str(folder)


def load_into_det_config(checkpoint: str, demo: str,
                         arch: Optional[dict] = None) -> None:
    """Load the ``backbone.`` tensors of ``checkpoint`` through the family's
    RetinaNet config (its backbone, with ``arch`` when given, and
    ``init_cfg`` pointing there) and check that every backbone tensor came
    from the checkpoint (which may hold more: the output norms of stages
    the det config does not output).
    """
    backbone_cfg = det_backbone_cfg(demo, arch)
    backbone_cfg.init_cfg = dict(
        type='Pretrained', checkpoint=checkpoint, prefix='backbone.')
    backbone = MODELS.build(backbone_cfg)
    backbone.init_weights()
    saved = torch.load(checkpoint, map_location='cpu',
                       weights_only=False)['state_dict']
    saved = {k[len('backbone.'):]: v for k, v in saved.items()
             if k.startswith('backbone.')}
    own = backbone.state_dict()
    unused_norms = {f'norm{i}' for i in range(backbone.num_stages)
                    if i not in backbone.out_indices}
    assert set(own) <= set(saved)
    assert {k.split('.')[0] for k in set(saved) - set(own)} <= unused_norms
    unmatched = [k for k, v in own.items() if not torch.equal(v, saved[k])]
    assert not unmatched


def demo_runner(config: str, images: str, work_dir: str, iterations: int,
                arch: Optional[dict] = None) -> Runner:
    """The runner of the project's ``config`` (its backbone with ``arch``
    when given) on ``images`` for ``iterations`` iterations at a constant
    lr, batches of 4."""
    cfg = Config.fromfile(osp.join(CONFIGS, config))
    if arch:
        cfg.model.backbone.backbone.arch = arch
    cfg.train_dataloader.dataset.data_root = images
    cfg.train_dataloader.batch_size = 4
    cfg.train_cfg.max_iters = iterations
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=iterations, by_epoch=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10)
    cfg.work_dir = work_dir
    cfg.log_level = 'WARNING'
    return Runner.from_cfg(cfg)


@pytest.mark.parametrize('demo', TRAINED)
def test_pretrain_then_load_into_det(demo: str, demo_images: str,
                                     tmp_path) -> None:
    torch.set_num_threads(1)
    losses = pretrain(f'spark_{demo}_demo.py', demo_images, str(tmp_path))
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5]), losses
    load_into_det_config(str(tmp_path / 'iter_20.pth'), demo)


@pytest.mark.parametrize('demo', [d for d in DEMOS if d not in TRAINED])
def test_tiny_arch_pretrains_then_loads_into_det(demo: str, demo_images: str,
                                                 tmp_path) -> None:
    """Every other family, through its demo config and its RetinaNet
    config with the family's tiny test arch (one block per stage, widths
    16 to 128, every position-mixing operator kept): the test above."""
    torch.set_num_threads(1)
    arch = tiny_arch(demo)
    losses = pretrain(f'spark_{demo}_demo.py', demo_images, str(tmp_path),
                      arch)
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5]), losses
    load_into_det_config(str(tmp_path / 'iter_20.pth'), demo, arch)


@pytest.mark.skipif(
    not os.environ.get('MIM_PRETRAIN_ALL'),
    reason='1-3 s an iteration each: set MIM_PRETRAIN_ALL=1 to run')
@pytest.mark.parametrize('demo', [d for d in DEMOS if d not in TRAINED])
def test_every_demo_pretrains_then_loads_into_det(demo: str, demo_images: str,
                                                  tmp_path) -> None:
    """The other demos at their det configs' archs, opt-in: as the test
    above (several minutes)."""
    test_pretrain_then_load_into_det(demo, demo_images, tmp_path)


@pytest.mark.skipif(
    not os.environ.get('MIM_PRETRAIN_ALL'),
    reason='the det configs\' archs: set MIM_PRETRAIN_ALL=1 to run')
@pytest.mark.parametrize('demo', list(DEMOS))
def test_det_archs_do_not_leak(demo: str) -> None:
    """The leakage test on the det config's arch (stochastic depth off: it
    draws anew in each run), float32, 96x96 inputs and a 3x3 mask."""
    torch.set_num_threads(1)
    cfg = det_backbone_cfg(demo)
    cfg.update(init_cfg=None, drop_path_rate=0., out_indices=(0, 1, 2, 3))
    cfg.pop('norm_cfg', None)
    model = MODELS.build(cfg)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(torch.randn(param.shape, generator=generator) * .05)
    to_sparse(model).train()
    image = torch.randn(2, 3, 96, 96, generator=generator)
    mask = torch.rand(2, 1, 3, 3, generator=generator) < 0.5
    mask[:, 0, 0, 0], mask[:, 0, 2, 2] = True, False
    with active_patches(mask):
        first = forward_with_noise(model, image, seed=3)
        second = forward_with_noise(model, image, seed=4)
        assert [((a - b).abs() * active_mask(a)).max().item()
                for a, b in zip(first, second)] == [0.] * 4


def test_fcmae_pretrain_then_load_into_det(demo_images: str,
                                           tmp_path) -> None:
    torch.set_num_threads(1)
    losses = pretrain('fcmae_convnext-v2-atto_demo.py', demo_images,
                      str(tmp_path))
    assert np.mean(losses[-5:]) < 0.95 * np.mean(losses[:5]), losses
    load_into_det_config(str(tmp_path / 'iter_20.pth'), 'convnext-v2-atto')


def pretrain(config: str, images: str, work_dir: str,
             arch: Optional[dict] = None) -> List[float]:
    """The losses of 20 iterations of ``config`` (its backbone with
    ``arch`` when given; checkpoint ``iter_20.pth`` in ``work_dir``)."""
    runner = demo_runner(config, images, work_dir, 20, arch)
    runner.train()
    losses = list(runner.message_hub.get_scalar('train/loss').data[0])
    assert len(losses) == 20
    return losses

"""SLaK backbone: sparse sizes, the decomposed kernel, checkpoints and
dynamic sparsity (the backbone contract: test_contract.py)."""
import argparse
import math

import pytest
import torch
from _helpers import (assert_loaded, classifier_tensors, count_params,
                      randomise, rel_error)
from _toy import make_runner
from mmengine.model import BaseModel
from torch import nn

from mmcnn.engine.hooks import DynamicSparsityHook
from mmcnn.engine.hooks.dynamic_sparsity_hook import erk_densities
from mmcnn.models import SLaK
from mmcnn.models.backbones.slak import (DecomposedLargeKernelConv,
                                         count_params_at_sparsity,
                                         sparse_weight_names)
from mmcnn.models.layers import merge_kernel, pad_kernel
from mmcnn.utils.checkpoint import load_checkpoint_file

# The paper's / README's #params: non-zero weights at 40 % sparsity of the
# ImageNet classifiers (every 2-D/4-D weight masked, the head included).
PARAMS_M = {'tiny': 30, 'small': 55, 'base': 95}

TINY = dict(depths=[1, 1, 2, 1], embed_dims=[16, 32, 48, 64],
            kernel_sizes=[51, 49, 47, 13], small_kernel=5, width_factor=1.3)


@pytest.mark.parametrize('arch', sorted(PARAMS_M))
def test_sparse_param_counts_match_paper(arch):
    with torch.device('meta'):
        backbone = SLaK(arch, out_indices=(3, ))
        classifier = nn.ModuleList(
            [backbone, nn.Linear(backbone.embed_dims[-1], 1000)])
    nonzero = count_params_at_sparsity(classifier, 0.4)
    assert round(nonzero / 1e6) == PARAMS_M[arch]
    assert count_params_at_sparsity(classifier, 0.) == count_params(
        classifier)
    names = sparse_weight_names(classifier)
    assert '1.weight' in names and '1.bias' not in names
    assert ('0.stages.0.0.large_kernel.Decom1.conv.weight' in names)


def test_widths_use_the_width_factor():
    with torch.device('meta'):
        model = SLaK('tiny')
    assert model.embed_dims == [124, 249, 499, 998]
    block = model.stages[0][0].large_kernel
    assert block.Decom1.conv.weight.shape == (124, 1, 51, 5)
    assert block.Decom2.conv.weight.shape == (124, 1, 5, 51)
    assert block.small_conv.conv.weight.shape == (124, 1, 5, 5)


def test_pad_kernel_handles_non_square():
    small = torch.randn(3, 1, 5, 5)
    tall = torch.randn(3, 1, 13, 5)
    merged = merge_kernel(tall, small)
    assert torch.allclose(merged[..., 4:9, :], tall[..., 4:9, :] + small)
    assert torch.equal(merged[..., :4, :], tall[..., :4, :])
    assert pad_kernel(tall, (13, 13)).shape == (3, 1, 13, 13)
    with pytest.raises(ValueError, match='Cannot centre'):
        pad_kernel(tall, (12, 13))


def test_decomposed_kernel_deploy_is_exact():
    lk = randomise(DecomposedLargeKernelConv(6, 13, 5)).eval()
    x = torch.randn(2, 6, 17, 23)
    with torch.no_grad():
        expected = lk(x)
        lk.switch_to_deploy()
        assert lk.deploy and not hasattr(lk, 'small_conv')
        assert lk.Decom1.weight.shape == (6, 1, 13, 5)
        assert lk.Decom2.bias is None
        assert rel_error(lk(x), expected) < 1e-5


def test_init_from_scratch_is_truncated_normal():
    model = SLaK(TINY)
    model.init_weights()
    weight = model.stages[2][0].pwconv1.weight
    assert 0.018 < weight.std().item() < 0.022
    assert torch.count_nonzero(model.stages[2][0].pwconv1.bias) == 0


def official_classification_state(model: SLaK) -> dict:
    """Shaped like ``models/SLaK.py``'s checkpoints (Decom1/Decom2, final
    LayerNorm and head), sparse weights included."""
    state = {}
    for key, value in model.state_dict().items():
        if key.startswith('norm'):
            continue
        value = torch.randn_like(value) if value.is_floating_point() else value
        if value.dim() in (2, 4):
            value = value * (torch.rand_like(value) > 0.4)
        state[key] = value
    width = model.embed_dims[-1]
    state.update(classifier_tensors(width))
    return state


def test_official_classification_checkpoint_loads(tmp_path):
    model = SLaK(TINY)
    state = official_classification_state(model)
    assert 'stages.0.0.large_kernel.Decom1.conv.weight' in state
    path = tmp_path / 'SLaK_tiny_checkpoint.pth'
    torch.save({'model': state, 'epoch': 299,
                'args': argparse.Namespace(Decom=True)}, path)
    model = SLaK(TINY, init_cfg=dict(type='Pretrained',
                                     checkpoint=str(path)))
    model.init_weights()
    assert_loaded(model, state, fresh='norm')


def test_official_segmentation_checkpoint_loads(tmp_path):
    """``segmentation/slak.py`` names the branches LoRA1/LoRA2."""
    model = SLaK(TINY)
    state = {}
    for key, value in model.state_dict().items():
        key = key.replace('.Decom1.', '.LoRA1.').replace('.Decom2.',
                                                         '.LoRA2.')
        state['backbone.' + key] = (torch.randn_like(value)
                                    if value.is_floating_point() else value)
    state['decode_head.conv_seg.weight'] = torch.randn(150, 64, 1, 1)
    path = tmp_path / 'upernet_slak_tiny.pth'
    torch.save({'state_dict': state, 'meta': {}}, path)
    model = SLaK(TINY, init_cfg=dict(type='Pretrained', checkpoint=str(path),
                                     prefix='backbone.', strict=True))
    model.init_weights()
    loaded = model.stages[1][0].large_kernel.Decom2.conv.weight
    assert torch.equal(
        loaded, state['backbone.stages.1.0.large_kernel.LoRA2.conv.weight'])


class SparseToyClassifier(BaseModel):
    """A small SLaK (official kernel sizes) with a linear head."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = SLaK(dict(TINY, depths=[1, 1, 1, 1]),
                             out_indices=(3, ))
        self.head = nn.Linear(83, 2)

    def forward(self, inputs, labels, mode='tensor'):
        logits = self.head(self.backbone(inputs)[0].mean((2, 3)))
        if mode != 'loss':
            return logits
        return dict(loss=nn.functional.cross_entropy(logits, labels))


def test_erk_densities_keep_the_budget():
    shapes = {'stem': torch.Size([8, 3, 4, 4]),
              'dw': torch.Size([64, 1, 51, 5]),
              'fc': torch.Size([256, 64])}
    dens = erk_densities(shapes, 0.6)
    sizes = {k: math.prod(s) for k, s in shapes.items()}
    kept = sum(dens[k] * sizes[k] for k in shapes)
    assert kept == pytest.approx(0.6 * sum(sizes.values()))
    assert dens['stem'] == 1. and all(0 < d <= 1 for d in dens.values())
    # denser where sum(shape) / prod(shape) is larger
    assert dens['fc'] > dens['dw']


def test_dynamic_sparsity_hook_trains_and_resumes(tmp_path):
    hook = DynamicSparsityHook(sparsity=0.4, interval=1, prune_rate=0.5)
    runner = make_runner(str(tmp_path), max_epochs=1,
                         model=SparseToyClassifier(), custom_hooks=[hook])
    runner.train()
    weights = {n: p for n, p in runner.model.named_parameters()
               if p.dim() in (2, 4)}
    assert set(hook.masks) == set(weights)
    assert hook.density() == pytest.approx(0.6, abs=1e-3)
    for name, param in weights.items():
        assert not param[~hook.masks[name]].any(), name
    nonzero = sum(int(torch.count_nonzero(p)) for p in weights.values())
    total = sum(p.numel() for p in weights.values())
    # regrown weights start at zero, so at most the active 60 % are non-zero
    assert 0.3 < nonzero / total <= 0.6 + 1e-3

    before = {n: m.clone() for n, m in hook.masks.items()}
    hook.update_masks(runner)
    changed = sum(int((before[n] != m).sum()) for n, m in hook.masks.items())
    assert changed > 0
    assert hook.density() == pytest.approx(0.6, abs=1e-3)

    ckpt = load_checkpoint_file(str(tmp_path / 'epoch_1.pth'))
    assert set(ckpt['sparse_masks']) == set(weights)
    resumed = DynamicSparsityHook(sparsity=0.4, interval=1)
    runner = make_runner(str(tmp_path), max_epochs=2, resume=True,
                         model=SparseToyClassifier(),
                         custom_hooks=[resumed])
    runner.load_or_resume()
    assert all(torch.equal(resumed.masks[n], ckpt['sparse_masks'][n])
               for n in weights)
    with pytest.raises(ValueError, match='sparsity'):
        DynamicSparsityHook(sparsity=1.)
